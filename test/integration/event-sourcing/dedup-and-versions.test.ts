// Event sourcing through the real runtime: duplicates (10% of the events re-sent with the same
// event ids, at-least-once) are dropped by the changelog-backed dedup stores, and a stream with
// mixed event versions projects the same as the stream of current events.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  createSources,
  oracle,
  outputTables,
  plain,
  produceEvents,
  type SeedEvent,
  seedEvents,
  shopDefinition,
  startApp,
  waitCaughtUp,
} from '../runtime/harness.ts';
import { testDir } from '../helpers.ts';

const dir = testDir('es');

test(
  '10% of the events sent twice with the same ids: the tables equal the oracle',
  { timeout: 90_000 },
  async () => {
    const shop = shopDefinition('dups');
    assert.equal(shop.definition.processing?.guarantee ?? 'at_least_once', 'at_least_once');
    await createSources(shop, 3);
    const events = seedEvents(shop, 3_000, 21);
    // Every 10th event again, a little later in the stream (same key, same eventId, same payload).
    const withDuplicates: SeedEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      withDuplicates.push(events[i]!);
      if (i >= 25 && i % 10 === 0) withDuplicates.push(events[i - 25]!);
    }
    assert.ok(withDuplicates.length - events.length >= events.length / 10 - 3);
    await produceEvents(withDuplicates);
    const app = startApp(shop.definition, join(dir, 'dups'));
    await app.start();
    try {
      await waitCaughtUp(app);
    } finally {
      await app.stop();
    }
    const expected = await oracle(shop.definition, events);
    const naive = await oracle(
      shop.definition,
      withDuplicates.map((e, i) => ({ ...e, value: { ...e.value, eventId: `x${i}` } })),
    );
    assert.notDeepEqual(
      plain(naive.tables),
      plain(expected.tables),
      'the duplicates would change the tables',
    );
    assert.deepEqual(plain(await outputTables(shop.definition)), plain(expected.tables));
  },
);

test('mixed event versions project like the current events', { timeout: 90_000 }, async () => {
  const shop = shopDefinition('versions');
  const accounts = shop.definition.sources.accounts!;
  accounts.version = 'v';
  // v1 deposits carried `cents` (the same number, before a rename) and no owner default.
  accounts.upcast = { MoneyDeposited: [{ from: 1, rename: { cents: 'amount' } }] };
  await createSources(shop, 3);
  const current = seedEvents(shop, 3_000, 22).map((e) =>
    e.topic === shop.topics.accounts ? { ...e, value: { ...e.value, v: 2 } } : e,
  );
  let old = 0;
  const mixed = current.map((e, i) => {
    if (e.value.eventType !== 'MoneyDeposited' || i % 2 === 0) return e;
    old++;
    const { amount, ...rest } = e.value;
    return { ...e, value: { ...rest, v: 1, cents: amount } };
  });
  assert.ok(old > 100, 'a good share of the deposits are version 1');
  await produceEvents(mixed);
  const app = startApp(shop.definition, join(dir, 'versions'));
  await app.start();
  try {
    await waitCaughtUp(app);
    assert.equal(app.status().deadLetters, 0);
  } finally {
    await app.stop();
  }
  const expected = await oracle(shop.definition, current);
  assert.deepEqual(plain(await outputTables(shop.definition)), plain(expected.tables));
});
