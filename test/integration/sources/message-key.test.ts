// `partitioning: messageKey` through the real runtime under both guarantees: a producer keys each
// account event by its account id as a JSON string (`"a1"`, quotes included) and lets the default
// partitioner place it by those bytes, so almost every record sits on another partition than the
// canonical key `a1` hashes to. The source is re-keyed through its repartition topic; the tables
// equal the oracle, and one event whose message key names another account than its value is a
// `key-mismatch` dead letter that changes nothing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Definition } from '../../../projections/definition/schema.ts';
import { readDeadLetters } from '../../../runtime/dlq/index.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { kafka, testDir } from '../helpers.ts';
import {
  createSources,
  oracle,
  outputTables,
  plain,
  produceEvents,
  seedEvents,
  shopDefinition,
  startApp,
  waitCaughtUp,
} from '../runtime/harness.ts';
import { type Placed, produceAt, withGuarantee } from './produce-at.ts';

const dir = testDir('message-key');
const PARTITIONS = 6;

for (const guarantee of ['at_least_once', 'exactly_once'] as const) {
  test(
    `JSON message keys under partitioning: messageKey equal the oracle (${guarantee})`,
    { timeout: 120_000 },
    async () => {
      const shop = shopDefinition(`msgkey-${guarantee === 'exactly_once' ? 'eos' : 'alos'}`);
      const base = withGuarantee(shop.definition, guarantee);
      const definition: Definition = {
        ...base,
        sources: {
          ...base.sources,
          accounts: { ...base.sources.accounts!, partitioning: 'messageKey', keyFormat: 'json' },
        },
      };
      await createSources(shop, PARTITIONS);
      const events = seedEvents(shop, 400, 23);
      const accountEvents = events.filter((e) => e.topic === shop.topics.accounts);
      await produceEvents(events.filter((e) => e.topic !== shop.topics.accounts));

      // As a JSON-serializing producer with the default partitioner places them: by the quoted bytes.
      const placed: Placed[] = accountEvents.map((e) => {
        const key = JSON.stringify(e.value.accountId);
        return {
          topic: e.topic,
          partition: partitionOfKey(key, PARTITIONS),
          key,
          value: e.value,
          timestamp: e.timestamp,
        };
      });
      const moved = placed.filter(
        (p) => p.partition !== partitionOfKey(String(p.value.accountId), PARTITIONS),
      ).length;
      assert.ok(
        moved > placed.length / 2,
        `most records sit elsewhere than their canonical key's partition (${moved})`,
      );
      const mismatch: Placed = {
        topic: shop.topics.accounts,
        partition: partitionOfKey('"a6"', PARTITIONS),
        key: '"a6"',
        value: { eventType: 'MoneyDeposited', accountId: 'a1', amount: 1000, eventId: 'mismatch-1' },
        timestamp: 1_700_300_000_000,
      };
      await produceAt([...placed, mismatch]);

      const app = startApp(definition, join(dir, guarantee));
      await app.start();
      try {
        await waitCaughtUp(app);
        assert.equal(app.status().deadLetters, 1);
      } finally {
        await app.stop();
      }
      const letters = await readDeadLetters(kafka('streamfold-test-message-key'), definition);
      assert.deepEqual(
        letters.map((l) => [l.kind, l.source.topic]),
        [['key-mismatch', shop.topics.accounts]],
      );
      assert.match(letters[0]!.message, /message key names "a6", the event's accountId "a1"/);

      const expected = await oracle(base, events);
      const tables = await outputTables(definition);
      assert.deepEqual(plain(tables), plain(expected.tables));
    },
  );
}
