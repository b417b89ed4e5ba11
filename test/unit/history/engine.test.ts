// History in the pure engine: every emitted row version lands in `<app>-<projection>-history`,
// whichever sub-topology emits the projection (same task, repartitioned aggregate, joins).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { describeTopology } from '../../../projections/graph/describe.ts';
import { names } from '../../../projections/graph/names.ts';
import { type HistoryHead, headKey, readAsOf } from '../../../projections/history/index.ts';
import { encodeKey } from '../../../projections/keys.ts';
import { TopologyError } from '../../../projections/operators/types.ts';
import { type Def, define, rec, run } from '../engine/helpers.ts';

const sources = {
  accounts: { topic: 'account-events', key: 'accountId', eventType: 'eventType' },
  customers: { topic: 'customers', kind: 'table' as const },
};

const historyOf = (ex: ReturnType<typeof run>, projection: string, key: unknown) =>
  ex.stores.store<HistoryHead>(names.historyStore('app', projection)).get(headKey(encodeKey(key)));

describe('history in the engine', () => {
  it('a stream aggregate records each emitted version at its event time, tombstones included', () => {
    const def: Def = {
      sources,
      projections: {
        balances: {
          from: 'accounts',
          aggregate: { balance: { sum: { MoneyDeposited: 'amount', MoneyWithdrawn: '-amount' } } },
          deleteOn: ['AccountClosed'],
          history: { retention: '30d' },
        },
      },
    };
    const ex = run(def, [
      rec('account-events', 'a1', { eventType: 'MoneyDeposited', accountId: 'a1', amount: 10 }, 1000),
      rec('account-events', 'a1', { eventType: 'MoneyWithdrawn', accountId: 'a1', amount: 3 }, 2000),
      rec('account-events', 'a1', { eventType: 'AccountClosed', accountId: 'a1' }, 3000),
      rec('account-events', 'a2', { eventType: 'MoneyDeposited', accountId: 'a2', amount: 5 }, 2500),
    ]);
    assert.deepEqual(historyOf(ex, 'balances', 'a1'), {
      v: [
        [1000, { balance: 10 }],
        [2000, { balance: 7 }],
        [3000, null],
      ],
    });
    const at = (key: string, t: number) => readAsOf(ex.stores, 'app', 'balances', key, t);
    assert.deepEqual(at('a1', 999), { kind: 'absent' });
    assert.deepEqual(at('a1', 2000), { kind: 'row', value: { balance: 7 }, since: 2000 });
    assert.deepEqual(at('a1', 3000), { kind: 'absent', since: 3000 });
    assert.deepEqual(at('a2', 2600), { kind: 'row', value: { balance: 5 }, since: 2500 });
    assert.deepEqual(at('nobody', 2600), { kind: 'absent' });
  });

  it('a repartitioned table aggregate records in the aggregating sub-topology, with composite keys', () => {
    const def: Def = {
      sources,
      projections: {
        per_city: {
          from: 'customers',
          groupBy: ['country', 'city'],
          aggregate: { n: { count: '*' } },
          history: { retention: 10_000, maxVersions: 2 },
        },
      },
    };
    const topology = compileTopology(define(def));
    const agg = topology.subTopologies.find((s) => s.id === 'per_city-aggregate')!;
    assert.ok(
      agg.stores.some((s) => s.name === 'app-per_city-history'),
      'the emitting sub owns the store',
    );
    assert.deepEqual(topology.projections[0]!.history, {
      store: 'app-per_city-history',
      retentionMs: 10_000,
      maxVersions: 2,
    });
    const ex = run(def, [
      rec('customers', 'c1', { country: 'NL', city: 'Delft' }, 100),
      rec('customers', 'c2', { country: 'NL', city: 'Delft' }, 200),
      rec('customers', 'c1', { country: 'NL', city: 'Leiden' }, 300), // Delft loses c1
      rec('customers', 'c3', { country: 'NL', city: 'Delft' }, 400),
    ]);
    const delft = { city: 'Delft', country: 'NL' };
    assert.deepEqual(historyOf(ex, 'per_city', delft), {
      v: [
        [300, { n: 1 }],
        [400, { n: 2 }],
      ],
      cut: 1,
    });
    assert.deepEqual(readAsOf(ex.stores, 'app', 'per_city', encodeKey(delft), 299), {
      kind: 'trimmed',
      oldest: 300,
    });
  });

  it('a non-aggregate table projection (join + select) records its rows', () => {
    const def: Def = {
      sources: { ...sources, orders_t: { topic: 'orders', kind: 'table' } },
      projections: {
        enriched: {
          from: 'orders_t',
          join: { table: 'customers', on: 'customerId', type: 'left' },
          select: { total: 'total', name: 'customers.name' },
          history: { retention: '1h' },
        },
      },
    };
    const ex = run(def, [
      rec('orders', 'o1', { customerId: 'c1', total: 5 }, 1000),
      rec('customers', 'c1', { name: 'Ann' }, 2000),
      rec('orders', 'o1', null, 3000),
    ]);
    assert.deepEqual(historyOf(ex, 'enriched', 'o1'), {
      v: [
        [1000, { total: 5, name: null }],
        [2000, { total: 5, name: 'Ann' }],
        [3000, null],
      ],
    });
  });

  it('projections without history get no history store', () => {
    const topology = compileTopology(
      define({ sources, projections: { n: { from: 'accounts', aggregate: { n: { count: '*' } } } } }),
    );
    assert.ok(topology.subTopologies.every((s) => s.stores.every((st) => !st.name.endsWith('-history'))));
    assert.equal(topology.projections[0]!.history, undefined);
  });

  it('describe shows the history store', () => {
    const text = describeTopology(
      compileTopology(
        define({
          sources,
          projections: {
            n: { from: 'accounts', aggregate: { n: { count: '*' } }, history: { retention: '2h' } },
          },
        }),
      ),
    );
    assert.match(
      text,
      /record each row version by event time → store app-n-history \(retention 7200000 ms\)/,
    );
  });

  it('compiling history on a stream projection fails', () => {
    assert.throws(
      () =>
        compileTopology(
          define({ sources, projections: { s: { from: 'accounts', history: { retention: 1000 } } } }),
        ),
      (e: unknown) =>
        e instanceof TopologyError && /history keeps versions of a table's rows/.test(e.message),
    );
  });
});
