// At-least-once sends exchange records as they are produced, not at the task's next commit: with
// a commit interval of a minute, a re-keyed order reaches the repartition topic within seconds,
// while its input offset is not committed yet (a re-keyed event waits for one commit, its
// aggregate's, not two). At stop the final commit stores the offsets and the aggregate equals the
// input's: the records sent early were neither lost nor written twice. And when the broker rejects
// those records, the input offsets are not committed: the records are produced again, not lost.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { names } from '../../../projections/graph/names.ts';
import { kafka, readToEnd, testDir, until } from '../helpers.ts';
import {
  committedOffsets,
  createSources,
  outputTables,
  produceEvents,
  shopDefinition,
  startApp,
  waitCaughtUp,
} from './harness.ts';

const { ConfigResourceTypes } = kafkajs;
const dir = testDir('exchange-as-produced');

const spendByCustomer = `
  spend_by_customer:
    from: orders
    groupBy: customerId
    aggregate:
      spent: { sum: { of: "items.map(i, i.price).sum()", on: [OrderPlaced] } }
`;

/** Three orders of two customers (c1: 10 + 20, c2: 30) on the shop's orders topic. */
function threeOrders(topic: string) {
  return ['o1', 'o2', 'o3'].map((orderId, i) => ({
    topic,
    key: orderId,
    timestamp: Date.now(),
    value: {
      eventType: 'OrderPlaced',
      orderId,
      customerId: i === 2 ? 'c2' : 'c1',
      items: [{ price: 10 * (i + 1) }],
      eventId: `e-${orderId}`,
      timestamp: Date.now(),
    },
  }));
}

/** Sets a topic's max.message.bytes, keeping its other topic-level configs (AlterConfigs replaces them all). */
async function setMaxMessageBytes(topic: string, value: string): Promise<void> {
  const admin = kafka('streamfold-test-configs').admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    });
    const own = resources[0]!.configEntries.filter(
      (e) => !e.isDefault && !e.readOnly && e.configName !== 'max.message.bytes',
    );
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [
            ...own.map((e) => ({ name: e.configName, value: e.configValue })),
            { name: 'max.message.bytes', value },
          ],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

test(
  'a re-keyed record reaches the repartition topic long before the commit interval',
  { timeout: 120_000 },
  async () => {
    const shop = shopDefinition(
      'asproduced',
      { processing: { guarantee: 'at_least_once', commitIntervalMs: 60_000 } },
      { extraProjections: spendByCustomer },
    );
    await createSources(shop, 2);
    const app = startApp(shop.definition, join(dir, 'a'));
    await app.start();
    const repartition = names.repartitionTopic(shop.definition.application, 'spend_by_customer');
    try {
      await until('tasks running', async () =>
        app.status().tasks.length === 2 && app.status().tasks.every((t) => t.state === 'running')
          ? true
          : undefined,
      );
      const orders = threeOrders(shop.topics.orders);
      const producedAt = Date.now();
      await produceEvents(orders);
      const records = await until(
        'the re-keyed orders in the repartition topic',
        async () => {
          const read = await readToEnd(repartition, { timeoutMs: 5_000 });
          return read.length >= orders.length ? read : undefined;
        },
        20_000,
      );
      const waited = Date.now() - producedAt;
      assert.ok(waited < 20_000, `sent after ${waited} ms, not held for the 60 s commit interval`);
      assert.deepEqual(records.map((r) => r.key).sort(), ['c1', 'c1', 'c2']);
      // The orders' offsets are not committed yet: the records went out before their commit.
      const offsets = await committedOffsets(shop.definition.application, shop.topics.orders);
      assert.ok(
        offsets.every((o) => o <= 0),
        `offsets committed before the interval: ${offsets.join(',')}`,
      );
    } finally {
      await app.stop();
    }
    // The final commit at stop: offsets stored, the aggregate of the records sent early is exact.
    const offsets = await committedOffsets(shop.definition.application, shop.topics.orders);
    assert.equal(
      offsets.reduce((a, b) => a + Math.max(b, 0), 0),
      3,
    );
    // The re-keyed orders are aggregated (by now or after a restart): commit often this time.
    const again = structuredClone(shop.definition);
    again.processing = { guarantee: 'at_least_once', commitIntervalMs: 100 };
    const app2 = startApp(again, join(dir, 'a'));
    await app2.start();
    try {
      await waitCaughtUp(app2);
    } finally {
      await app2.stop();
    }
    const spent = (await outputTables(shop.definition)).get('spend_by_customer');
    assert.deepEqual(Object.fromEntries(spent ?? []), { c1: { spent: 30 }, c2: { spent: 30 } });
  },
);

test(
  'offsets wait for the records sent as produced: rejected by the broker, they are produced again',
  { timeout: 120_000 },
  async () => {
    const shop = shopDefinition(
      'asproducedfail',
      { processing: { guarantee: 'at_least_once', commitIntervalMs: 100 } },
      { extraProjections: spendByCustomer },
    );
    // Its only exchange: kafkajs' idempotent producer rolls back the sequence numbers of every
    // partition of a failed produce request, the appended ones too, and is wedged (out of order
    // sequence) if other exchange topics shared the rejected requests.
    for (const name of Object.keys(shop.definition.projections))
      if (name !== 'spend_by_customer') delete shop.definition.projections[name];
    await createSources(shop, 1);
    const repartition = names.repartitionTopic(shop.definition.application, 'spend_by_customer');
    const app = startApp(shop.definition, join(dir, 'b'));
    await app.start();
    try {
      await waitCaughtUp(app);
      // Every produce to the repartition topic fails now (each record batch is larger than this).
      await setMaxMessageBytes(repartition, '16');
      await produceEvents(threeOrders(shop.topics.orders));
      await until('failed commits', async () => (app.status().failedCommits >= 3 ? true : undefined), 60_000);
      const [offset] = await committedOffsets(shop.definition.application, shop.topics.orders);
      assert.ok(
        offset! <= 0,
        `the orders were committed (${offset}) while their re-keyed records were rejected`,
      );
      await setMaxMessageBytes(repartition, String(1024 * 1024 + 12));
      await waitCaughtUp(app, 60_000);
    } finally {
      await app.stop();
    }
    assert.deepEqual(await committedOffsets(shop.definition.application, shop.topics.orders), [3]);
    const spent = (await outputTables(shop.definition)).get('spend_by_customer');
    assert.deepEqual(Object.fromEntries(spent ?? []), { c1: { spent: 30 }, c2: { spent: 30 } });
  },
);
