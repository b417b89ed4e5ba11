// state.maxUncommittedRows bounds what a task holds between commits: with a commit interval of a
// minute (whose timer first fires after half of it), a task whose changed rows reach it commits at
// once (its input offsets are stored within seconds), and without it (the default of 20 000) the
// same 300 orders wait for the interval. This bound, with the fetch size, is what keeps the
// JavaScript heap bounded in a backlog of distinct keys (docs/stores.md, "Memory bounds").
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { testDir, until } from '../helpers.ts';
import { committedOffsets, createSources, produceEvents, shopDefinition, startApp } from './harness.ts';

const dir = testDir('early-commit');

/** Orders of distinct customers: each one changes a row of its own. */
function orders(topic: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    topic,
    key: `o${i}`,
    timestamp: Date.now(),
    value: {
      eventType: 'OrderPlaced',
      orderId: `o${i}`,
      customerId: `c${i}`,
      items: [{ price: 1 }],
      eventId: `e-${i}`,
      timestamp: Date.now(),
    },
  }));
}

/** Orders committed by the group, over all partitions. */
async function committedOrders(group: string, topic: string): Promise<number> {
  return (await committedOffsets(group, topic)).reduce((n, o) => n + Math.max(0, o), 0);
}

/** Runs the shop with a 60 s commit interval, produces 300 orders, and returns what `check` found. */
async function runWith<T>(
  prefix: string,
  maxUncommittedRows: number | undefined,
  check: (committed: () => Promise<number>) => Promise<T>,
): Promise<T> {
  const shop = shopDefinition(prefix, {
    processing: { guarantee: 'at_least_once', commitIntervalMs: 60_000 },
    ...(maxUncommittedRows ? { state: { maxUncommittedRows } } : {}),
  });
  await createSources(shop, 1);
  const app = startApp(shop.definition, join(dir, prefix));
  await app.start();
  try {
    await until('task running', async () =>
      app.status().tasks.some((t) => t.state === 'running') ? true : undefined,
    );
    await produceEvents(orders(shop.topics.orders, 300));
    return await check(() => committedOrders(shop.definition.application, shop.topics.orders));
  } finally {
    await app.stop();
  }
}

test(
  'a task whose uncommitted rows reach state.maxUncommittedRows commits before the interval',
  { timeout: 120_000 },
  async () => {
    const early = await runWith('earlycommit', 50, (committed) =>
      until('orders committed early', async () => ((await committed()) >= 250 ? true : undefined), 10_000),
    );
    assert.ok(early);
    // The same orders without the setting: nothing is committed before the 60 s interval.
    const waiting = await runWith('latecommit', undefined, async (committed) => {
      await new Promise((r) => setTimeout(r, 8_000));
      return committed();
    });
    assert.equal(waiting, 0, 'without the setting the orders wait for the 60 s interval');
  },
);
