// processing.guarantee: exactly_once against a real broker: the tables and stores equal the
// oracle, outputs are transactional (nothing visible read_uncommitted-only), and a record whose
// event time lies far in the future cannot wedge the commit loop.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { transactionalIdOf } from '../../../runtime/tasks/index.ts';
import { kafka, readToEnd, testDir } from '../helpers.ts';
import {
  comparableStores,
  createSources,
  oracle,
  outputTables,
  plain,
  produceEvents,
  seedEvents,
  shopDefinition,
  startApp,
  storeContents,
  waitCaughtUp,
} from '../runtime/harness.ts';

const dir = testDir('eos');

const eos = { processing: { guarantee: 'exactly_once' as const, commitIntervalMs: 100 } };

test('exactly-once: output topics and stores equal the oracle', { timeout: 120_000 }, async () => {
  const shop = shopDefinition('eos', eos);
  await createSources(shop, 3);
  const events = seedEvents(shop, 3_000, 11);
  await produceEvents(events.slice(0, 1_500));
  const app = startApp(shop.definition, join(dir, 'a'));
  await app.start();
  try {
    await produceEvents(events.slice(1_500));
    await waitCaughtUp(app, 90_000);
    assert.equal(app.status().guarantee, 'exactly_once');
    assert.equal(app.status().failedCommits, 0);
  } finally {
    await app.stop();
  }
  const expected = await oracle(shop.definition, events);
  assert.deepEqual(plain(await outputTables(shop.definition)), plain(expected.tables));
  assert.deepEqual(
    comparableStores(await storeContents(shop.definition, join(dir, 'a'), 3)),
    comparableStores(expected.stores),
  );
  // Every output record was written in a committed transaction: read_uncommitted sees no more.
  const topic = `${shop.definition.application}-balances`;
  const committed = await readToEnd(topic);
  const uncommitted = await readToEnd(topic, { readCommitted: false });
  assert.ok(committed.length > 0);
  assert.equal(uncommitted.length, committed.length);
});

test(
  'an event time an hour past the wall clock does not wedge the commits',
  { timeout: 90_000 },
  async () => {
    const shop = shopDefinition('eosfuture', eos);
    await createSources(shop, 1);
    const events = seedEvents(shop, 200, 12);
    const future = Date.now() + 365 * 24 * 3600 * 1000;
    // The source's `time: timestamp` makes the output record carry this event time.
    const odd = {
      topic: shop.topics.accounts,
      key: 'afuture',
      timestamp: Date.now(),
      value: {
        eventType: 'AccountCreated',
        accountId: 'afuture',
        owner: 'Zed',
        eventId: 'f1',
        timestamp: future,
      },
    };
    const all = [...events.slice(0, 100), odd, ...events.slice(100)];
    await produceEvents(all);
    const app = startApp(shop.definition, join(dir, 'b'));
    await app.start();
    try {
      await waitCaughtUp(app, 60_000);
      assert.equal(app.status().failedCommits, 0, 'no commit was rejected');
    } finally {
      await app.stop();
    }
    const tables = await outputTables(shop.definition);
    assert.deepEqual(tables.get('balances')!.get('afuture'), { balance: 0, deposits: 0, owner: 'Zed' });
    const expected = await oracle(shop.definition, all);
    assert.deepEqual(plain(tables), plain(expected.tables));
  },
);

test(
  'a fenced task re-syncs (new producer, restore, committed offsets) and loses nothing',
  { timeout: 120_000 },
  async () => {
    const shop = shopDefinition('eosfence', eos);
    await createSources(shop, 1);
    const events = seedEvents(shop, 2_000, 13);
    await produceEvents(events.slice(0, 1_000));
    const app = startApp(shop.definition, join(dir, 'c'));
    await app.start();
    try {
      await waitCaughtUp(app, 60_000);
      // Another owner of task 0 appears: its InitProducerId fences the application's producer.
      const rival = kafka('streamfold-test-rival').producer({
        transactionalId: transactionalIdOf(shop.definition.application, 0),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await rival.connect();
      await (await rival.transaction()).abort();
      await rival.disconnect();
      await produceEvents(events.slice(1_000));
      await waitCaughtUp(app, 60_000);
      assert.ok(app.status().failedCommits >= 1, 'the fenced commit failed');
    } finally {
      await app.stop();
    }
    const expected = await oracle(shop.definition, events);
    assert.deepEqual(plain(await outputTables(shop.definition)), plain(expected.tables));
    assert.deepEqual(
      comparableStores(await storeContents(shop.definition, join(dir, 'c'), 1)),
      comparableStores(expected.stores),
    );
  },
);
