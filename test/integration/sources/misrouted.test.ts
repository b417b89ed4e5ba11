// Source records on the wrong partition, through the real runtime under both guarantees: the issue's
// scenario (100 deposits for one account produced without a key, spread over three partitions; an
// event keyed a6 that says accountId a1). Every misplaced record is a `misrouted` dead letter naming
// both partitions and changes nothing: the tables equal the oracle over the well-placed records,
// and every output row of a key is on that key's partition (one row per key).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readDeadLetters } from '../../../runtime/dlq/index.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { kafka, readToEnd, testDir } from '../helpers.ts';
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
import { produceAt, type Placed, strayDeposits, withGuarantee } from './produce-at.ts';

const dir = testDir('misrouted');
const PARTITIONS = 6;

const guarantees = ['at_least_once', 'exactly_once'] as const;

for (const guarantee of guarantees) {
  test(
    `misrouted records are dead letters and change no state (${guarantee})`,
    { timeout: 120_000 },
    async () => {
      const shop = shopDefinition(`misr-${guarantee === 'exactly_once' ? 'eos' : 'alos'}`);
      const definition = withGuarantee(shop.definition, guarantee);
      await createSources(shop, PARTITIONS);
      const good = seedEvents(shop, 400, 7);
      await produceEvents(good);

      // 100 deposits for zz without a message key: 98 on zz's own partition, one each on two others.
      const t0 = 1_700_100_000_000;
      const deposits = strayDeposits(shop.topics.accounts, PARTITIONS, t0);
      // An event keyed a6 whose value says accountId a1, on a6's partition (not a1's).
      const a6 = partitionOfKey('a6', PARTITIONS);
      assert.notEqual(a6, partitionOfKey('a1', PARTITIONS), 'the test needs a6 and a1 apart');
      const crossKeyed: Placed = {
        topic: shop.topics.accounts,
        partition: a6,
        key: 'a6',
        value: { eventType: 'MoneyDeposited', accountId: 'a1', amount: 1000, eventId: 'x-a1' },
        timestamp: t0 + 200,
      };
      const placed = await produceAt([...deposits, crossKeyed]);
      const misplaced = placed.filter(
        (p) => p.partition !== partitionOfKey(String(p.value.accountId), PARTITIONS),
      );
      assert.equal(misplaced.length, 3);

      const app = startApp(definition, join(dir, guarantee));
      await app.start();
      try {
        await waitCaughtUp(app);
        assert.equal(app.deadLetterCounts.get('misrouted'), 3);
        assert.equal(app.status().deadLetters, 3);
      } finally {
        await app.stop();
      }

      // The dead letters: the three misplaced records, with both partitions in the reason.
      const letters = await readDeadLetters(kafka('streamfold-test-misrouted'), definition);
      assert.deepEqual(
        letters.map((l) => [l.kind, l.source.topic, l.source.partition, l.source.offset]).sort(),
        misplaced.map((p) => ['misrouted', p.topic, p.partition, p.offset]).sort(),
      );
      for (const l of letters) {
        const key = (JSON.parse(l.value!.toString()) as { accountId: string }).accountId;
        assert.match(l.message, new RegExp(`belongs to partition ${partitionOfKey(key, PARTITIONS)}\\b`));
        assert.match(l.message, new RegExp(`read from partition ${l.source.partition}\\b`));
      }

      // State: the oracle over the records that are where they belong; zz from its own partition only.
      const accepted: SeedEvent[] = placed
        .filter((p) => !misplaced.includes(p))
        .map((p) => ({
          topic: p.topic,
          key: String(p.value.accountId),
          value: p.value,
          timestamp: p.timestamp,
        }));
      const expected = await oracle(definition, [...good, ...accepted]);
      const tables = await outputTables(definition);
      assert.deepEqual(plain(tables), plain(expected.tables));
      assert.equal((tables.get('balances')!.get('zz') as { balance: number }).balance, 5050 - 40 - 77);

      // One row per key: every output record of a key is on the key's own partition.
      for (const p of ['balances', 'order_summary']) {
        for (const r of await readToEnd(`${definition.application}-${p}`)) {
          if (r.key !== null)
            assert.equal(
              r.partition,
              partitionOfKey(r.key, PARTITIONS),
              `${p} row ${r.key} on its partition`,
            );
        }
      }
    },
  );
}
