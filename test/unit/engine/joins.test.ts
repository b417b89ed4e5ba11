// Stream–table and table–table (primary-key) joins: lookups at arrival, and tombstones on each side.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileTopology } from '../../../projections/graph/compile.ts';
import type { Executor } from '../../../projections/graph/executor.ts';
import { MemoryStoreProvider } from '../../../projections/store.ts';
import { changes, define, rec, run } from './helpers.ts';

void describe('stream–table join', () => {
  const def = (type: 'inner' | 'left', on?: string) => ({
    sources: { clicks: { topic: 'c' }, users: { topic: 'u', kind: 'table' as const } },
    projections: {
      enriched: {
        from: 'clicks',
        join: { table: 'users', type, ...(on ? { on } : {}) },
        select: { page: 'page', user: 'users.name', self: 'clicks.page' },
      },
    },
  });
  const inputs = [
    rec('c', 'u1', { page: 'a', uid: 'u1' }),
    rec('u', 'u1', { name: 'ann' }),
    rec('c', 'u1', { page: 'b', uid: 'u1' }),
    rec('u', 'u1', null),
    rec('c', 'u1', { page: 'c', uid: 'u1' }),
  ];

  void it('left: looks the table up at arrival; table changes emit nothing', () => {
    assert.deepEqual(changes(run(def('left'), inputs), 'enriched'), [
      ['u1', { page: 'a', user: null, self: 'a' }],
      ['u1', { page: 'b', user: 'ann', self: 'b' }],
      ['u1', { page: 'c', user: null, self: 'c' }],
    ]);
  });

  void it('inner: events without a row are dropped, also after a table tombstone', () => {
    assert.deepEqual(changes(run(def('inner'), inputs), 'enriched'), [
      ['u1', { page: 'b', user: 'ann', self: 'b' }],
    ]);
  });

  void it('with `on`, events go through the join repartition and keep their own key', () => {
    const ex = run(def('inner', 'uid'), [
      rec('u', 'u9', { name: 'zed' }),
      rec('c', 'click-1', { page: 'p', uid: 'u9' }),
      rec('c', 'click-2', { page: 'q', uid: null }),
    ]);
    assert.deepEqual(changes(ex, 'enriched'), [['click-1', { page: 'p', user: 'zed', self: 'p' }]]);
    assert.ok(ex.topology.exchanges.some((x) => x.topic === 'app-enriched-users-join-repartition'));
  });
});

void describe('table–table primary-key join', () => {
  const def = (type: 'inner' | 'left' | 'outer') => ({
    sources: { l: { topic: 'l', kind: 'table' as const }, r: { topic: 'r', kind: 'table' as const } },
    projections: { j: { from: 'l', join: { table: 'r', type }, select: { a: 'l.a', b: 'r.b' } } },
  });
  const inputs = [
    rec('r', 1, { b: 'r-only' }),
    rec('l', 1, { a: 'x' }),
    rec('r', 1, { b: 'y' }),
    rec('r', 1, null),
    rec('l', 1, null),
    rec('r', 1, { b: 'z' }),
  ];

  void it('inner: a row while both sides exist; deletes on either side delete it; silent once gone', () => {
    assert.deepEqual(changes(run(def('inner'), inputs), 'j'), [
      [1, { a: 'x', b: 'r-only' }],
      [1, { a: 'x', b: 'y' }],
      [1, null],
    ]);
  });

  void it('left: a right delete re-emits with nulls; a left delete deletes; right-only changes are silent', () => {
    assert.deepEqual(changes(run(def('left'), inputs), 'j'), [
      [1, { a: 'x', b: 'r-only' }],
      [1, { a: 'x', b: 'y' }],
      [1, { a: 'x', b: null }],
      [1, null],
    ]);
  });

  void it('outer: rows from either side; deleted only when both sides are gone', () => {
    assert.deepEqual(changes(run(def('outer'), inputs), 'j'), [
      [1, { a: null, b: 'r-only' }],
      [1, { a: 'x', b: 'r-only' }],
      [1, { a: 'x', b: 'y' }],
      [1, { a: 'x', b: null }],
      [1, null],
      [1, { a: null, b: 'z' }],
    ]);
  });

  void it('joined changes carry old rows, so an aggregate over a join retracts', () => {
    const ex = run(
      {
        sources: { l: { topic: 'l', kind: 'table' }, r: { topic: 'r', kind: 'table' } },
        projections: {
          s: {
            from: 'l',
            join: { table: 'r', type: 'left' },
            groupBy: 'g',
            aggregate: { total: { sum: 'r.v' }, n: { count: '*' } },
          },
        },
      },
      [
        rec('l', 1, { g: 'a' }),
        rec('l', 2, { g: 'a' }),
        rec('r', 1, { v: 5 }),
        rec('r', 2, { v: 7 }),
        rec('r', 1, { v: 1 }),
        rec('r', 2, null),
        rec('l', 1, { g: 'b' }),
      ],
    );
    assert.deepEqual(changes(ex, 's'), [
      ['a', { total: 0, n: 1 }],
      ['a', { total: 0, n: 2 }],
      ['a', { total: 5, n: 2 }],
      ['a', { total: 12, n: 2 }],
      ['a', { total: 8, n: 2 }],
      ['a', { total: 1, n: 2 }],
      ['a', { total: 0, n: 1 }],
      ['b', { total: 1, n: 1 }],
    ]);
  });

  void it('chained joins see earlier right rows under their aliases', () => {
    const ex = run(
      {
        sources: {
          o: { topic: 'o', kind: 'table' },
          p: { topic: 'p', kind: 'table' },
          q: { topic: 'q', kind: 'table' },
        },
        projections: {
          j: {
            from: 'o',
            join: [
              { table: 'p', type: 'left', as: 'pp' },
              { table: 'q', type: 'inner' },
            ],
            select: { p: 'pp.v', q: 'q.v', o: 'o.v' },
          },
        },
      },
      [rec('o', 1, { v: 'o1' }), rec('q', 1, { v: 'q1' }), rec('p', 1, { v: 'p1' })],
    );
    assert.deepEqual(changes(ex, 'j'), [
      [1, { p: null, q: 'q1', o: 'o1' }],
      [1, { p: 'p1', q: 'q1', o: 'o1' }],
    ]);
  });
});

void describe('table inputs', () => {
  void it('ignore records without a key', () => {
    const ex = run(
      {
        sources: { l: { topic: 'l', kind: 'table' }, r: { topic: 'r', kind: 'table' } },
        projections: {
          j: { from: 'l', join: { table: 'r', type: 'left' }, select: { b: 'r.b' } },
          n: { from: 'l', groupBy: '"all"', aggregate: { n: { count: '*' } } },
        },
      },
      [rec('l', null, { a: 1 }), rec('r', null, { b: 1 }), rec('l', 1, { a: 1 })],
    );
    assert.deepEqual(changes(ex, 'j'), [[1, { b: null }]]);
    assert.deepEqual(changes(ex, 'n'), [['all', { n: 1 }]]);
  });
});

void describe('joins keep the fields read', () => {
  const rowsOf = async (ex: Executor, store: string) => {
    const rows: Array<[string, unknown]> = [];
    for await (const row of ex.stores.store(store).scan()) rows.push(row);
    return rows;
  };

  void it('stream–table: the table keeps the fields read of its rows; the repartition carries those of events', async () => {
    const d = {
      sources: { clicks: { topic: 'c' }, users: { topic: 'u', kind: 'table' as const } },
      projections: {
        enriched: {
          from: 'clicks',
          join: { table: 'users', type: 'inner' as const, on: 'uid' },
          select: { page: 'page', user: 'users.name' },
        },
      },
    };
    const ex = run(d, [
      rec('u', 'u1', { name: 'ann', email: 'a@x' }),
      rec('c', 'k1', { page: 'a', uid: 'u1', agent: 'curl' }),
    ]);
    assert.deepEqual(await rowsOf(ex, 'app-enriched-users-table'), [['u1', { name: 'ann' }]]);
    assert.deepEqual(changes(ex, 'enriched'), [['k1', { page: 'a', user: 'ann' }]]);
    const sent: unknown[] = [];
    const left = compileTopology(define(d)).subTopologies.find((s) => s.id === 'enriched')!;
    left.process(
      {
        topic: 'c',
        key: 'k1',
        value: { page: 'a', uid: 'u1', agent: 'curl' },
        partition: 0,
        offset: 0,
        timestamp: 5,
      },
      { stores: new MemoryStoreProvider(), emit: () => {}, send: (_t, _k, v) => sent.push(v) },
    );
    assert.deepEqual((sent[0] as { v: unknown }).v, { page: 'a', uid: 'u1' });
  });

  void it('primary key: the right rows keep the fields read; the left rows are read from the source store', async () => {
    const d = (where?: string) => ({
      sources: { l: { topic: 'l', kind: 'table' as const }, r: { topic: 'r', kind: 'table' as const } },
      projections: {
        j: {
          from: 'l',
          ...(where ? { where } : {}),
          join: { table: 'r', type: 'left' as const },
          select: { a: 'a', b: 'r.b' },
        },
      },
    });
    const inputs = [
      rec('r', 1, { b: 'y', c: 'unread' }),
      rec('l', 1, { a: 'x', d: 'unread' }),
      rec('r', 1, { b: 'z', c: 'unread' }),
      rec('l', 1, null),
    ];
    const storeNames = (def: ReturnType<typeof d>) =>
      compileTopology(define(def)).subTopologies.flatMap((s) => s.stores.map((x) => x.name));
    const direct = run(d(), inputs);
    assert.deepEqual(await rowsOf(direct, 'app-j-r-table'), [['1', { b: 'z' }]]);
    assert.ok(!storeNames(d()).includes('app-j-r-left'), 'no left store of its own');
    assert.ok(storeNames(d('a != null')).includes('app-j-r-left'));
    assert.deepEqual(changes(direct, 'j'), changes(run(d('a != null'), inputs), 'j'));
    assert.deepEqual(changes(direct, 'j'), [
      [1, { a: 'x', b: 'y' }],
      [1, { a: 'x', b: 'z' }],
      [1, null],
    ]);
  });
});
