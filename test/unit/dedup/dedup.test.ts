// Event-id deduplication: the state rules, the bounded purge, and the operator in a compiled topology.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DedupPurger,
  dedupKey,
  dedupStores,
  seenBefore,
  STREAM_TIME_KEY,
} from '../../../projections/dedup/index.ts';
import { checkDefinition } from '../../../projections/definition/index.ts';
import type { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { MemoryStore } from '../../../projections/store.ts';

void describe('dedup state', () => {
  void it('keys combine the entity key and the event id; split parts are apart', () => {
    assert.equal(dedupKey('a1', 'e1'), 'a1\u0000e1');
    assert.equal(dedupKey({ b: 1, a: 2 }, 7), '{"a":2,"b":1}\u00007');
    assert.equal(dedupKey('a1', 'e1', 2), 'a1\u0000e1\u00002');
    assert.notEqual(dedupKey('a1', 'e1'), STREAM_TIME_KEY);
  });

  void it('an id is remembered for the horizon of stream time, then forgotten', () => {
    const s = new MemoryStore<number>();
    const k = dedupKey('a', 'e1');
    assert.equal(seenBefore(s, k, 1000, 100), false, 'first sight');
    assert.equal(seenBefore(s, k, 1000, 100), true, 're-sent with the same event time');
    assert.equal(seenBefore(s, dedupKey('a', 'e2'), 1100, 100), false);
    assert.equal(seenBefore(s, k, 1050, 100), true, 'still within 100 ms of stream time 1100');
    assert.equal(seenBefore(s, dedupKey('a', 'e3'), 1101, 100), false);
    assert.equal(s.get(STREAM_TIME_KEY), 1101);
    assert.equal(seenBefore(s, k, 1000, 100), false, 'expired: stream time moved past 1000 + 100');
    assert.equal(s.get(k), 1101, 'a late event is remembered from the current stream time');
    assert.equal(seenBefore(s, k, 900, 100), true);
  });

  void it('the purge deletes only expired entries, in bounded slices that wrap around', async () => {
    const s = new MemoryStore<number>();
    for (let i = 0; i < 10; i++) seenBefore(s, dedupKey('k', `e${i}`), i * 100, 250);
    // stream time 900, horizon 250: entries from 650 on are live (e7, e8, e9)
    const purger = new DedupPurger(s, 250);
    const first = await purger.purge(4);
    assert.equal(first.scanned, 4);
    let deleted = first.deleted;
    for (let i = 0; i < 5; i++) deleted += (await purger.purge(4)).deleted;
    assert.equal(deleted, 7);
    assert.deepEqual(
      [...s.entries()].map(([k]) => k).sort(),
      [STREAM_TIME_KEY, dedupKey('k', 'e7'), dedupKey('k', 'e8'), dedupKey('k', 'e9')].sort(),
    );
    // what the purge removed was already expired: the same events pass either way
    assert.equal(seenBefore(s, dedupKey('k', 'e1'), 100, 250), false);
    assert.equal(seenBefore(s, dedupKey('k', 'e8'), 800, 250), true);
  });
});

const definition = (extra: Record<string, unknown> = {}): Definition => {
  const r = checkDefinition({
    application: 'bank',
    processing: { dedupHorizonMs: 60_000 },
    sources: {
      accounts: { topic: 'acc', key: 'accountId', eventType: 'type', eventId: 'id', time: 'at', ...extra },
      raw: { topic: 'raw' },
    },
    projections: {
      balances: { from: 'accounts', aggregate: { balance: { sum: 'amount' }, n: { count: '*' } } },
      counts: { from: 'raw', aggregate: { n: { count: '*' } } },
    },
  });
  assert.ok(r.definition, JSON.stringify(r.problems));
  return r.definition;
};

void describe('dedup in a topology', () => {
  void it('declares one dedup store per projection reading a source with eventId', () => {
    const def = definition({ dedupHorizonMs: 5000 });
    assert.deepEqual(dedupStores(def), [
      { store: 'bank-balances-dedup', projection: 'balances', source: 'accounts', horizonMs: 5000 },
    ]);
    const topology = compileTopology(def);
    const sub = topology.subTopologies.find((s) => s.id === 'balances')!;
    assert.ok(sub.stores.some((s) => s.name === 'bank-balances-dedup'));
    assert.ok(
      !topology.subTopologies.find((s) => s.id === 'counts')!.stores.some((s) => s.name.endsWith('-dedup')),
    );
    assert.equal(dedupStores(definition())[0]!.horizonMs, 60_000, 'processing.dedupHorizonMs applies');
  });

  void it('drops re-sent events for the same key; the same id on another key counts', () => {
    const ex = new Executor(compileTopology(definition()), { json: true });
    let offset = 0;
    const send = (key: string, id: string | null, amount: number, at: number) =>
      ex.process({
        topic: 'acc',
        partition: 0,
        offset: offset++,
        key,
        value: { type: 'Deposited', accountId: key, amount, at, ...(id === null ? {} : { id }) },
        timestamp: at,
      });
    send('a', 'e1', 10, 1000);
    send('a', 'e1', 10, 1000); // duplicate
    send('b', 'e1', 5, 1001); // same id, other key
    send('a', null, 1, 1002); // no id: never a duplicate
    send('a', null, 1, 1003);
    send('a', 'e1', 10, 1000 + 60_001 + 3); // after the horizon: counted again
    const last = new Map(ex.outputsOf('balances').map((r) => [r.key, r.value]));
    assert.deepEqual(last.get('a'), { balance: 22, n: 4 });
    assert.deepEqual(last.get('b'), { balance: 5, n: 1 });
    assert.equal(ex.outputsOf('balances').length, 5, 'the duplicate emitted nothing');
  });
});
