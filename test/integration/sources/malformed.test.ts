// Nothing is dropped silently: twelve kinds of malformed records mixed into one source, under both
// guarantees, each reach the dead-letter topic with their kind (the three that used to vanish: a
// JSON null value, an event without its event type, an event without its key field), while an
// event of a type no projection handles is no dead letter; the tables equal the oracle over the
// good records.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Definition } from '../../../projections/definition/schema.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { readDeadLetters } from '../../../runtime/dlq/index.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { createTopic, kafka, testDir, uniqueTopic } from '../helpers.ts';
import { oracle, outputTables, plain, type SeedEvent, startApp, waitCaughtUp } from '../runtime/harness.ts';
import { producePlaced } from './produce-at.ts';

const dir = testDir('malformed');
const PARTITIONS = 3;

function definition(app: string, topic: string, guarantee: string): Definition {
  const raw = {
    application: app,
    processing: { guarantee, commitIntervalMs: 100 },
    sources: {
      accounts: {
        topic,
        key: 'accountId',
        eventType: 'eventType',
        version: 'v',
        upcast: { MoneyDeposited: [{ from: 1, rename: { cents: 'amount' } }] },
        fields: {
          accountId: 'string',
          eventType: 'string',
          v: 'int',
          cents: 'number',
          amount: 'number',
          divisor: 'number',
        },
      },
    },
    projections: {
      balances: {
        from: 'accounts',
        aggregate: {
          balance: { sum: { MoneyDeposited: 'amount', MoneyWithdrawn: '-amount' } },
          share: { sum: { of: 'int(amount) / int(divisor)', on: ['MoneyDeposited'] } },
        },
      },
      events: { from: 'accounts', aggregate: { n: { count: '*' } } },
    },
  };
  return parseConfig(JSON.stringify(raw), 'malformed.yaml', {});
}

for (const guarantee of ['at_least_once', 'exactly_once']) {
  test(
    `twelve kinds of malformed records are all dead letters (${guarantee})`,
    { timeout: 120_000 },
    async () => {
      const app = uniqueTopic(`malformed-${guarantee === 'exactly_once' ? 'eos' : 'alos'}`).replaceAll(
        '-',
        '_',
      );
      const topic = `${app}-accounts`;
      await createTopic(topic, { partitions: PARTITIONS, configs: { 'retention.ms': -1 } });
      const def = definition(app, topic, guarantee);
      const t0 = 1_700_200_000_000;
      const on = (key: string) => partitionOfKey(key, PARTITIONS);
      const deposit = (id: string, amount: number) => ({
        eventType: 'MoneyDeposited',
        accountId: id,
        amount,
        divisor: 2,
        v: 2,
      });
      // [partition, message key, value bytes (null: a tombstone), expected kind (undefined: good)]
      const records: Array<[number, string | null, unknown, string | undefined]> = [];
      const good = (id: string, value: Record<string, unknown>) =>
        records.push([on(id), id, value, undefined]);
      const bad = (partition: number, key: string | null, bytes: string | null, kind: string) =>
        records.push([partition, key, bytes === null ? null : Buffer.from(bytes), kind]);
      for (let i = 0; i < 6; i++) good(`a${i}`, deposit(`a${i}`, 10 + i));
      const elsewhere = (on('a1') + 1) % PARTITIONS;
      bad(on('a0'), 'a0', '{"eventType": "MoneyDeposited", ', 'decode'); // 1 not JSON
      bad(on('a0'), 'a0', '42', 'decode'); // 2 JSON, not an object
      bad(on('a0'), 'a0', '', 'decode'); // 3 empty
      bad(on('a0'), 'a0', 'null', 'decode'); // 4 JSON null
      bad(on('a0'), 'a0', null, 'decode'); // 5 a tombstone on a stream
      bad(on('a1'), 'a1', JSON.stringify({ accountId: 'a1', amount: 1, divisor: 1 }), 'missing-type'); // 6
      bad(
        on('a1'),
        'a1',
        JSON.stringify({ eventType: 'MoneyDeposited', amount: 1, divisor: 1 }),
        'missing-key',
      ); // 7
      bad(on('a1'), 'a1', JSON.stringify({ ...deposit('a1', 1), amount: 'ten' }), 'schema'); // 8
      bad(on('a1'), 'a1', JSON.stringify({ ...deposit('a1', 1), v: -3 }), 'upcast'); // 9
      bad(on('a1'), 'a1', JSON.stringify({ ...deposit('a1', 1), divisor: 0 }), 'expression'); // 10
      bad(elsewhere, null, JSON.stringify(deposit('a1', 1)), 'misrouted'); // 11 null-keyed, elsewhere
      const a1Elsewhere = ['b', 'c', 'd', 'e', 'f', 'g', 'h'].find((k) => on(k) === elsewhere)!;
      bad(elsewhere, a1Elsewhere, JSON.stringify(deposit('a1', 1)), 'misrouted'); // 12 keyed by another id
      // Not invalid: an event of a type no projection aggregates, and a v1 event (upcast).
      good('a2', { eventType: 'AccountNoticed', accountId: 'a2' });
      good('a3', { eventType: 'MoneyDeposited', accountId: 'a3', cents: 7, divisor: 1 });
      for (let i = 0; i < 6; i++) good(`a${i}`, deposit(`a${i}`, 100 * i));

      const produced = await producePlaced(
        records.map(([partition, key, value], i) => ({
          topic,
          partition,
          key,
          value: value === null || Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value)),
          timestamp: t0 + i,
        })),
      );
      const app1 = startApp(def, join(dir, guarantee));
      await app1.start();
      try {
        await waitCaughtUp(app1);
      } finally {
        await app1.stop();
      }
      const expectedLetters = produced
        .map((p, i) => [records[i]![3], p.partition, p.offset] as const)
        .filter(([kind]) => kind !== undefined);
      assert.equal(expectedLetters.length, 12);
      const letters = await readDeadLetters(kafka('streamfold-test-malformed'), def);
      // One dead letter per record, except a process-stage failure: one per projection that met it.
      const origins = new Set(
        letters.map((l) => JSON.stringify([l.kind, l.source.partition, l.source.offset])),
      );
      assert.deepEqual([...origins].sort(), expectedLetters.map((e) => JSON.stringify(e)).sort());
      assert.deepEqual(
        letters.filter((l) => l.kind === 'upcast').map((l) => l.projection),
        ['balances', 'events'],
      );
      // The oracle over the good records; an expression error fails one projection only (balances),
      // the other still counts that event.
      const events = (kinds: Array<string | undefined>): SeedEvent[] =>
        records.flatMap(([, key, value, kind], i) =>
          kinds.includes(kind)
            ? [
                {
                  topic,
                  key: key!,
                  value: (Buffer.isBuffer(value) ? JSON.parse(value.toString()) : value) as Record<
                    string,
                    unknown
                  >,
                  timestamp: t0 + i,
                },
              ]
            : [],
        );
      const tables = plain(await outputTables(def));
      const oracleGood = plain((await oracle(def, events([undefined]))).tables);
      const onlyEvents = { ...def, projections: { events: def.projections.events! } };
      const withFailed = plain((await oracle(onlyEvents, events([undefined, 'expression']))).tables);
      assert.deepEqual(tables.balances, oracleGood.balances);
      assert.deepEqual(tables.events, withFailed.events);
      assert.notDeepEqual(oracleGood.events, withFailed.events);
    },
  );
}
