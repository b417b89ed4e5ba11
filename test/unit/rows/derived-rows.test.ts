// An aggregate's final rows are derived on read from its group states (no rows store): every key
// reads as the output topic's last row (after having/select), keys that having hides or deleteOn
// removed read as absent, and scans, cursors and counts skip them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { names } from '../../../projections/graph/names.ts';
import type { Executor } from '../../../projections/graph/executor.ts';
import { readRow, readRows, type RowsView } from '../../../projections/rows/index.ts';
import { createHttpServer } from '../../../runtime/http/server.ts';
import { engineStateSource } from './helpers.ts';
import { type Def, rec, run, table } from '../engine/helpers.ts';

const def: Def = {
  sources: { accounts: { topic: 'account-events', key: 'accountId', eventType: 'eventType' } },
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
    },
    // Composite key: having reads a key component.
    by_owner_type: {
      from: 'accounts',
      groupBy: ['owner', 'eventType'],
      aggregate: { n: { count: '*' } },
      having: "owner != 'bob'",
    },
    // Numeric scalar key read through _key: must stay a number (its encoding is "10").
    by_amount: {
      from: 'accounts',
      groupBy: 'amount',
      aggregate: { n: { count: '*' } },
      select: { n: 'n', amount: '_key' },
    },
  },
};

const deposit = (id: string, owner: string, amount: number, t: number) =>
  rec('account-events', id, { eventType: 'MoneyDeposited', accountId: id, owner, amount }, t);
const withdraw = (id: string, owner: string, amount: number, t: number) =>
  rec('account-events', id, { eventType: 'MoneyWithdrawn', accountId: id, owner, amount }, t);

// 30 accounts: every third emptied (having hides it), every fifth closed (deleteOn), bob's hidden.
const inputs = Array.from({ length: 30 }, (_, i) => {
  const id = `a${String(i).padStart(2, '0')}`;
  const owner = i % 4 === 0 ? 'bob' : `o${i % 3}`;
  const events = [deposit(id, owner, 10, 1000 + i)];
  if (i % 3 === 0) events.push(withdraw(id, owner, 10, 2000 + i));
  if (i % 5 === 0)
    events.push(rec('account-events', id, { eventType: 'AccountClosed', accountId: id }, 3000 + i));
  return events;
}).flat();

const viewOf = (ex: Executor, projection: string): RowsView =>
  ex.topology.projections.find((p) => p.name === projection)!.rows!;

async function derived(ex: Executor, projection: string, limit?: number) {
  const out: Record<string, unknown> = {};
  for await (const [k, r] of readRows(ex.stores, viewOf(ex, projection), { limit })) out[k] = r.v;
  return out;
}

describe('derived final rows', () => {
  const ex = run(def, inputs);

  it('reads exactly the final table of the output topic, for every aggregate', async () => {
    for (const p of ['balances', 'by_owner_type', 'by_amount']) {
      assert.deepEqual(await derived(ex, p), table(ex, p), p);
      assert.equal(viewOf(ex, p).store, names.aggregateStore('app', p));
    }
    assert.deepEqual(readRow(ex.stores, viewOf(ex, 'by_amount'), '10')?.v, { n: 40, amount: 10 });
  });

  it('hidden and deleted keys have no row; emptied groups keep their state', () => {
    const view = viewOf(ex, 'balances');
    const agg = ex.stores.store(view.store);
    assert.ok(agg.get('a03') !== undefined, 'a03 (balance 0) keeps its group state');
    assert.equal(readRow(ex.stores, view, 'a03'), undefined);
    assert.equal(agg.get('a05'), undefined, 'deleteOn forgot a05');
    assert.equal(readRow(ex.stores, view, 'a05'), undefined);
    assert.deepEqual(readRow(ex.stores, view, 'a01'), { v: { balance: 10, who: 'o1' }, t: 1001 });
    const bob = JSON.stringify({ eventType: 'MoneyDeposited', owner: 'bob' });
    assert.ok(ex.stores.store(viewOf(ex, 'by_owner_type').store).get(bob) !== undefined);
    assert.equal(readRow(ex.stores, viewOf(ex, 'by_owner_type'), bob), undefined);
  });

  it('a limit counts rows, not the hidden entries before them', async () => {
    const all = Object.keys(table(ex, 'balances'));
    assert.deepEqual(Object.keys(await derived(ex, 'balances', 3)), all.slice(0, 3));
  });

  describe('through the query API', () => {
    const source = engineStateSource(ex, 'account-events', inputs.length);
    const { app } = createHttpServer({ stateSource: source });
    const json = (body: string) => JSON.parse(body) as Record<string, any>;
    const expected = table(ex, 'balances');

    it('gets a row with its event time; hidden and deleted keys are 404', async () => {
      const r = json((await app.inject('/projections/balances/keys/a01')).body);
      assert.deepEqual([r.value, r.updatedAt], [{ balance: 10, who: 'o1' }, 1001]);
      for (const k of ['a03', 'a05', 'a00', 'nope'])
        assert.equal((await app.inject(`/projections/balances/keys/${k}`)).statusCode, 404, k);
    });

    it('pages skip hidden keys and cursors resume after the last row', async () => {
      for (const limit of [1, 2, 7, 100]) {
        const keys: string[] = [];
        let cursor: string | null = null;
        do {
          const q: string = cursor ? `&cursor=${cursor}` : '';
          const body = json((await app.inject(`/projections/balances/rows?limit=${limit}${q}`)).body);
          assert.ok(body.rows.length <= limit);
          keys.push(...body.rows.map((row: { key: string }) => row.key));
          cursor = body.next;
        } while (cursor !== null);
        assert.deepEqual(keys, Object.keys(expected), `limit ${limit}`);
      }
      const prefixed = json((await app.inject('/projections/balances/rows?prefix=a1')).body);
      assert.deepEqual(
        prefixed.rows.map((row: { key: string }) => row.key),
        Object.keys(expected).filter((k) => k.startsWith('a1')),
      );
    });

    it('counts only the rows on the status page', async () => {
      const status = json((await app.inject('/projections/balances')).body);
      assert.equal(status.rows, Object.keys(expected).length);
    });
  });
});
