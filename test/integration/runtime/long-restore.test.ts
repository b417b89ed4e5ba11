// A restore of 200 000 changelog records, slowed to last more than twice the session timeout,
// keeps the group membership: the task's partitions are paused while a group-less reader restores
// in the background, and the paused consumer keeps heartbeating. No rebalance, no second join.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changelogTopic, ensureTopics } from '../../../runtime/kafka/admin/index.ts';
import type { ChangelogSource } from '../../../runtime/kafka/restore/index.ts';
import { kafka, testDir } from '../helpers.ts';
import {
  createSources,
  outputTables,
  produceEvents,
  shopDefinition,
  startApp,
  waitCaughtUp,
} from './harness.ts';

const RECORDS = 200_000;
const SESSION_TIMEOUT = 6_000;
const FETCH_DELAY = 4_000;

const dir = testDir('long-restore');

test(
  `a restore of ${RECORDS} changelog records keeps the group membership`,
  { timeout: 120_000 },
  async () => {
    const shop = shopDefinition('longrestore');
    await createSources(shop, 1);
    const store = `${shop.definition.application}-customer_profiles-agg`;
    const changelog = changelogTopic(store);
    const admin = kafka().admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: changelog, kind: 'changelog', partitions: 1 }]);
    await admin.disconnect();
    const producer = kafka().producer({ idempotent: true });
    await producer.connect();
    const row = JSON.stringify({ name: { v: 'restored', t: 1 } });
    for (let i = 0; i < RECORDS; i += 10_000) {
      const messages = Array.from({ length: 10_000 }, (_, j) => ({
        key: `k${i + j}`,
        value: row,
        partition: 0,
      }));
      await producer.send({ topic: changelog, messages, acks: -1 });
    }
    await producer.disconnect();

    let fetches = 0;
    const slow = (source: ChangelogSource): ChangelogSource => ({
      offsets: (tps) => source.offsets(tps),
      fetch: async (positions) => {
        fetches++;
        await new Promise((r) => setTimeout(r, FETCH_DELAY));
        return source.fetch(positions);
      },
      close: () => source.close(),
    });
    const app = startApp(shop.definition, dir, {
      sessionTimeoutMs: SESSION_TIMEOUT,
      wrapChangelogSource: slow,
    });
    const fromSource: number[] = [];
    app.onProcessed = (topic, _partition, offset) => {
      if (topic === shop.topics.customers) fromSource.push(offset);
    };
    const started = Date.now();
    await app.start();
    try {
      const member = app.status().memberId;
      await produceEvents([
        {
          topic: shop.topics.customers,
          key: 'c-new',
          timestamp: Date.now(),
          value: {
            eventType: 'CustomerRegistered',
            customerId: 'c-new',
            name: 'New',
            tier: 'gold',
            eventId: 'x1',
          },
        },
      ]);
      await waitCaughtUp(app, 90_000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed > 2 * SESSION_TIMEOUT, `the restore took ${elapsed} ms (${fetches} fetches)`);
      const status = app.status();
      assert.equal(status.joins, 1, 'joined once: no rebalance during the restore');
      assert.equal(status.memberId, member);
      assert.deepEqual(fromSource, [0], 'the event waited for the restore and was processed once');
    } finally {
      await app.stop();
    }
    const profiles = (await outputTables(shop.definition)).get('customer_profiles')!;
    assert.deepEqual(profiles.get('c-new'), { name: 'New', tier: 'gold' });
    const { TaskStores, stateDirectory } = await import('../../../runtime/stores/index.ts');
    const stores = await TaskStores.open({
      location: stateDirectory(dir, shop.definition.application, 0),
      changelogOf: (s) => ({ topic: changelogTopic(s), partition: 0 }),
    });
    try {
      assert.equal(await stores.countRows(store), RECORDS + 1);
    } finally {
      await stores.close();
    }
  },
);
