// `partitioning: repartition` through the real runtime under both guarantees: deposits for one
// account produced without a key and spread over three partitions, and an event keyed by another
// id, are re-keyed through the repartition topic; the tables equal the oracle as if the producer
// had keyed every event by its account (zz's balance is 5050), and nothing is dead-lettered.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { describeTopology } from '../../../projections/graph/describe.ts';
import { readDeadLetters } from '../../../runtime/dlq/index.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { kafka, testDir } from '../helpers.ts';
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
import { produceAt, strayDeposits, withGuarantee } from './produce-at.ts';

const dir = testDir('repartition');
const PARTITIONS = 6;

for (const guarantee of ['at_least_once', 'exactly_once'] as const) {
  test(
    `a repartitioned source equals the oracle of correctly keyed events (${guarantee})`,
    { timeout: 120_000 },
    async () => {
      const shop = shopDefinition(`repart-${guarantee === 'exactly_once' ? 'eos' : 'alos'}`);
      const keyedRight = withGuarantee(shop.definition, guarantee);
      const definition: Definition = {
        ...keyedRight,
        sources: {
          ...keyedRight.sources,
          accounts: { ...keyedRight.sources.accounts!, partitioning: 'repartition' },
        },
      };
      const description = describeTopology(compileTopology(definition));
      assert.match(
        description,
        new RegExp(
          `${definition.application}-balances-accounts-source-repartition: source-repartition, keyed by accountId`,
        ),
      );
      await createSources(shop, PARTITIONS);
      const good = seedEvents(shop, 400, 11);
      await produceEvents(good);

      const t0 = 1_700_300_000_000;
      const placed = strayDeposits(shop.topics.accounts, PARTITIONS, t0);
      // An event keyed a6 that says accountId q1 (an account of its own), on a6's partition.
      assert.notEqual(partitionOfKey('a6', PARTITIONS), partitionOfKey('q1', PARTITIONS));
      placed.push({
        topic: shop.topics.accounts,
        partition: partitionOfKey('a6', PARTITIONS),
        key: 'a6',
        value: { eventType: 'AccountCreated', accountId: 'q1', owner: 'Quinn', eventId: 'q1-created' },
        timestamp: t0 + 200,
      });
      await produceAt(placed);

      const app = startApp(definition, join(dir, guarantee));
      await app.start();
      try {
        await waitCaughtUp(app);
        assert.equal(app.status().deadLetters, 0);
      } finally {
        await app.stop();
      }
      assert.deepEqual(await readDeadLetters(kafka('streamfold-test-repartition'), definition), []);
      const asIfKeyed: SeedEvent[] = placed.map((p) => ({
        topic: p.topic,
        key: String(p.value.accountId),
        value: p.value,
        timestamp: p.timestamp,
      }));
      const expected = await oracle(keyedRight, [...good, ...asIfKeyed]);
      const tables = await outputTables(definition);
      assert.deepEqual(plain(tables), plain(expected.tables));
      assert.equal((tables.get('balances')!.get('zz') as { balance: number }).balance, 5050);
      assert.equal((tables.get('balances')!.get('q1') as { owner: string }).owner, 'Quinn');
    },
  );
}
