// Final rows: every table projection reads back exactly the rows a consumer of its output topic
// would hold (after having/select), with the event time of the last change; tombstones delete.
// Aggregates derive them from their group states, other tables keep a rows store. Both compose
// with the history recorder on the same sub-topology.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { names } from '../../../projections/graph/names.ts';
import type { Executor } from '../../../projections/graph/executor.ts';
import { readAsOf } from '../../../projections/history/index.ts';
import { readRows, type StoredFinalRow } from '../../../projections/rows/index.ts';
import { type Def, rec, run, table } from './helpers.ts';

async function rowsOf(ex: Executor, projection: string): Promise<Record<string, StoredFinalRow>> {
  const out: Record<string, StoredFinalRow> = {};
  const view = ex.topology.projections.find((p) => p.name === projection)!.rows!;
  for await (const [k, v] of readRows(ex.stores, view)) out[k] = v;
  return out;
}

const values = (rows: Record<string, StoredFinalRow>) =>
  Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, r.v]));

const def: Def = {
  sources: {
    accounts: { topic: 'account-events', key: 'accountId', eventType: 'eventType' },
    customers: { topic: 'customers', kind: 'table' },
  },
  projections: {
    balances: {
      from: 'accounts',
      aggregate: {
        balance: { sum: { MoneyDeposited: 'amount', MoneyWithdrawn: '-amount' } },
        owner: { latest: 'owner' },
      },
      having: 'balance > 0',
      select: { balance: 'balance', who: 'owner' },
      deleteOn: ['AccountClosed'],
      history: { retention: '30d' },
    },
    by_owner: {
      from: 'balances',
      groupBy: 'who',
      aggregate: { total: { sum: 'balance' }, accounts: { count: '*' } },
    },
    with_customer: {
      from: 'balances',
      join: { table: 'customers', on: 'who', type: 'left' },
      select: { balance: 'balance', name: 'customers.name' },
    },
    stream_only: { from: 'accounts', where: 'amount > 100' },
  },
};

const inputs = [
  rec('customers', 'ann', { name: 'Ann' }, 500),
  rec(
    'account-events',
    'a1',
    { eventType: 'MoneyDeposited', accountId: 'a1', owner: 'ann', amount: 10 },
    1000,
  ),
  rec(
    'account-events',
    'a2',
    { eventType: 'MoneyDeposited', accountId: 'a2', owner: 'bob', amount: 500 },
    1100,
  ),
  rec(
    'account-events',
    'a1',
    { eventType: 'MoneyWithdrawn', accountId: 'a1', owner: 'ann', amount: 4 },
    2000,
  ),
  rec(
    'account-events',
    'a3',
    { eventType: 'MoneyDeposited', accountId: 'a3', owner: 'ann', amount: 1 },
    2100,
  ),
  rec(
    'account-events',
    'a3',
    { eventType: 'MoneyWithdrawn', accountId: 'a3', owner: 'ann', amount: 1 },
    2200,
  ),
  rec('account-events', 'a2', { eventType: 'AccountClosed', accountId: 'a2' }, 3000),
  rec('customers', 'ann', { name: 'Ann B.' }, 3500),
];

describe('final rows', () => {
  it('holds the last output row of every key of every table projection, and nothing deleted', async () => {
    const ex = run(def, inputs);
    for (const p of ['balances', 'by_owner', 'with_customer']) {
      assert.deepEqual(values(await rowsOf(ex, p)), table(ex, p), p);
    }
    // having removed a3 (balance 0) and deleteOn removed a2: both were emitted before, both gone.
    assert.deepEqual(Object.keys(await rowsOf(ex, 'balances')), ['a1']);
  });

  it('keeps the row after select, with the event time of its last change', async () => {
    const ex = run(def, inputs);
    assert.deepEqual((await rowsOf(ex, 'balances')).a1, { v: { balance: 6, who: 'ann' }, t: 2000 });
    // The right side's change re-emits the joined row at its own time.
    assert.deepEqual((await rowsOf(ex, 'with_customer')).a1, {
      v: { balance: 6, name: 'Ann B.' },
      t: 3500,
    });
    // bob's only account was closed: the retraction leaves an emptied group (count 0), as ksqlDB does.
    assert.deepEqual((await rowsOf(ex, 'by_owner')).bob?.v, { total: 0, accounts: 0 });
  });

  it('composes with history on the same sub-topology: both stores see every emit', async () => {
    const ex = run(def, inputs);
    assert.deepEqual(readAsOf(ex.stores, 'app', 'balances', 'a2', 1500), {
      kind: 'row',
      value: { balance: 500, who: 'bob' },
      since: 1100,
    });
    assert.deepEqual(readAsOf(ex.stores, 'app', 'balances', 'a2', 3000), { kind: 'absent', since: 3000 });
    assert.equal((await rowsOf(ex, 'balances')).a2, undefined);
  });

  it('an aggregate reads its rows from the aggregate store; a join keeps a rows store', () => {
    const ex = run(def, inputs);
    const rowsOfProjection = (name: string) => ex.topology.projections.find((p) => p.name === name)?.rows;
    assert.deepEqual(
      ['balances', 'by_owner', 'with_customer'].map((p) => [
        rowsOfProjection(p)?.store,
        rowsOfProjection(p)?.derived,
      ]),
      [
        ['app-balances-agg', true],
        ['app-by_owner-agg', true],
        ['app-with_customer-rows', false],
      ],
    );
    const stores = ex.topology.subTopologies.flatMap((s) => s.stores.map((x) => x.name));
    assert.ok(!stores.includes(names.rowsStore('app', 'balances')));
    assert.ok(!stores.includes(names.rowsStore('app', 'by_owner')));
  });

  it('stream projections have none', async () => {
    const ex = run(def, inputs);
    assert.equal(ex.topology.projections.find((p) => p.name === 'stream_only')?.rows, undefined);
    const stores = ex.topology.subTopologies.flatMap((s) => s.stores.map((x) => x.name));
    assert.ok(!stores.includes(names.rowsStore('app', 'stream_only')));
  });
});
