// Windowed aggregates and stream–stream joins in the pure engine: the guarantees the ksqlDB cases
// do not pin (state stays bounded, late records are reported, deferred null-padded join rows do
// come out once the window closes, never early), and the windowed key formats.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import type { MemoryStoreProvider } from '../../../projections/store.ts';
import { binaryWindowedKey, parseBinaryWindowedKey, tableKey } from '../../../projections/windows/keys.ts';
import { timeWindowsFor } from '../../../projections/windows/spec.ts';
import { readRows } from '../../../projections/rows/index.ts';
import { changes, type Def, define, rec, run } from './helpers.ts';

const revenue = (window: Record<string, unknown>, emit?: 'changes' | 'final'): Def => ({
  sources: { orders: { topic: 'orders' } },
  projections: {
    daily: {
      from: 'orders',
      groupBy: 'customer',
      window: window as never,
      ...(emit ? { emit } : {}),
      aggregate: { total: { sum: 'amount' } },
    },
  },
});

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('windowed aggregates', () => {
  it('tumbling: one row per (key, window), keyed { key, window }', () => {
    const ex = run(revenue({ type: 'tumbling', size: '1d' }), [
      rec('orders', null, { customer: 'a', amount: 5 }, 10),
      rec('orders', null, { customer: 'a', amount: 7 }, DAY + 1),
      rec('orders', null, { customer: 'a', amount: 1 }, DAY + 2),
    ]);
    assert.deepEqual(changes(ex, 'daily'), [
      [{ key: 'a', window: { start: 0, end: DAY } }, { total: 5 }],
      [{ key: 'a', window: { start: DAY, end: 2 * DAY } }, { total: 7 }],
      [{ key: 'a', window: { start: DAY, end: 2 * DAY } }, { total: 8 }],
    ]);
  });

  it('a record later than window end + grace is dropped and reported as late', () => {
    const ex = run(revenue({ type: 'tumbling', size: '1d', grace: '1h' }), [
      rec('orders', null, { customer: 'a', amount: 5 }, 10),
      rec('orders', null, { customer: 'b', amount: 1 }, DAY + HOUR), // stream time: window 0 closes
      rec('orders', null, { customer: 'a', amount: 100 }, 20), // late: dropped
    ]);
    assert.equal(changes(ex, 'daily').length, 2);
    assert.deepEqual(
      ex.late.map((l) => [l.key, l.timestamp, l.window]),
      [['a', 20, { start: 0, end: DAY }]],
    );
  });

  it('retention: expired windows leave the store and the queries, so state stays bounded', async () => {
    const ex = new Executor(
      compileTopology(define(revenue({ type: 'tumbling', size: '1m', retention: '3m' }))),
    );
    for (let i = 0; i < 100; i++)
      ex.process(rec('orders', null, { customer: `c${i % 5}`, amount: 1 }, i * 60_000));
    const store = (ex.stores as MemoryStoreProvider).stores.get('app-daily-agg')!;
    const windows = [...store.entries()].filter(([k]) => k.startsWith('w\u0000'));
    // the newest window and those within 3 minutes of its start: 4 windows, one key each
    assert.equal(windows.length, 4);
    assert.ok(store.size < 12, `store holds ${store.size} entries`);
    // the final rows queries read derive from the windows: no rows store, and they leave with them
    assert.equal((ex.stores as MemoryStoreProvider).stores.get('app-daily-rows'), undefined);
    const view = ex.topology.projections.find((p) => p.name === 'daily')!.rows!;
    const rows: string[] = [];
    for await (const [key] of readRows(ex.stores, view)) rows.push(key);
    assert.equal(rows.length, 4);
  });

  it('emit final: nothing until the window closes, then one row with the final aggregate', () => {
    const ex = run(revenue({ type: 'tumbling', size: '1d', grace: '1h' }, 'final'), [
      rec('orders', null, { customer: 'a', amount: 5 }, 10),
      rec('orders', null, { customer: 'a', amount: 7 }, 20),
      rec('orders', null, { customer: 'b', amount: 1 }, DAY + HOUR - 1), // not closed yet
    ]);
    assert.deepEqual(changes(ex, 'daily'), []);
    ex.process(rec('orders', null, { customer: 'b', amount: 1 }, DAY + HOUR));
    assert.deepEqual(changes(ex, 'daily'), [[{ key: 'a', window: { start: 0, end: DAY } }, { total: 12 }]]);
  });

  it('the commit-time check (punctuate) emits nothing twice', () => {
    const ex = run(revenue({ type: 'tumbling', size: '1d' }, 'final'), [
      rec('orders', null, { customer: 'a', amount: 5 }, 10),
      rec('orders', null, { customer: 'b', amount: 1 }, DAY),
    ]);
    assert.equal(changes(ex, 'daily').length, 1);
    ex.punctuate();
    ex.punctuate();
    assert.equal(changes(ex, 'daily').length, 1);
  });

  it('session windows merge, retracting the merged sessions first', () => {
    const ex = run(revenue({ type: 'session', gap: '20m', retention: '1h' }), [
      rec('orders', null, { customer: 'a', amount: 1 }, 0),
      rec('orders', null, { customer: 'a', amount: 2 }, 30 * 60_000),
      rec('orders', null, { customer: 'a', amount: 4 }, 15 * 60_000), // bridges both
    ]);
    const w = (start: number, end: number) => ({
      key: 'a',
      window: { start: start * 60_000, end: end * 60_000 },
    });
    assert.deepEqual(changes(ex, 'daily'), [
      [w(0, 0), { total: 1 }],
      [w(30, 30), { total: 2 }],
      [w(0, 0), null],
      [w(30, 30), null],
      [w(0, 30), { total: 7 }],
    ]);
  });

  it('hopping windows: every window holding the timestamp, none before 0', () => {
    assert.deepEqual(
      timeWindowsFor(7, { sizeMs: 5, advanceMs: 2 }).map((w) => w.start),
      [4, 6],
    );
    assert.deepEqual(
      timeWindowsFor(1, { sizeMs: 5, advanceMs: 2 }).map((w) => w.start),
      [0],
    );
  });
});

describe('windowed stream–stream joins', () => {
  const payments = (unmatched?: 'eager'): Def => ({
    sources: { orders: { topic: 'orders' }, payments: { topic: 'payments' } },
    projections: {
      paid: {
        from: 'orders',
        join: {
          stream: 'payments',
          type: 'left',
          within: { before: 0, after: '15m' },
          ...(unmatched ? { unmatched } : {}),
        },
        select: { order: 'id', paidAt: 'payments.at' },
      },
    },
  });
  const MIN = 60_000;

  it('left join: a matched order emits only the joined row, never an early null row', () => {
    const ex = run(payments(), [
      rec('orders', 'o1', { id: 'o1' }, 0),
      rec('payments', 'o1', { at: 10 }, 10 * MIN),
      rec('orders', 'o2', { id: 'o2' }, 40 * MIN), // stream time far past o1's window
    ]);
    assert.deepEqual(changes(ex, 'paid'), [['o1', { order: 'o1', paidAt: 10 }]]);
  });

  it('left join: an unmatched order is null-padded once its window closes (not before)', () => {
    const ex = run(payments(), [
      rec('orders', 'o1', { id: 'o1' }, 0),
      rec('orders', 'o2', { id: 'o2' }, 15 * MIN),
    ]);
    assert.deepEqual(changes(ex, 'paid'), [], 'o1 window [0, 15m] is still open at 15m');
    ex.process(rec('orders', 'o3', { id: 'o3' }, 15 * MIN + 1));
    const out = ex.outputsOf('paid');
    assert.deepEqual(
      out.map((o) => [o.key, o.value, o.timestamp]),
      [['o1', { order: 'o1', paidAt: null }, 0]],
    );
  });

  it('held unmatched records close in time order, whatever their arrival order', () => {
    const ex = run(payments(), [
      rec('orders', 'o2', { id: 'o2' }, 2 * MIN),
      rec('orders', 'o1', { id: 'o1' }, 1 * MIN),
      rec('orders', 'o3', { id: 'o3' }, 3 * MIN),
      rec('orders', 'o9', { id: 'o9' }, 30 * MIN),
    ]);
    assert.deepEqual(
      ex.outputsOf('paid').map((o) => [o.key, o.timestamp]),
      [
        ['o1', 1 * MIN],
        ['o2', 2 * MIN],
        ['o3', 3 * MIN],
      ],
    );
  });

  it('a record later than the join window + grace behind its side is not buffered and reported as late', () => {
    const inner: Def = {
      sources: { orders: { topic: 'orders' }, payments: { topic: 'payments' } },
      projections: {
        paid: {
          from: 'orders',
          join: { stream: 'payments', within: '1m', grace: '1m' },
          select: { order: 'id', paidAt: 'payments.at' },
        },
      },
    };
    const ex = run(inner, [
      rec('orders', 'o1', { id: 'o1' }, 0),
      rec('orders', 'o2', { id: 'o2' }, 10 * MIN), // the orders' buffer keeps 3 min behind 10 min
      rec('orders', 'o3', { id: 'o3' }, 7 * MIN + 1), // within before + after + grace: buffered
      rec('orders', 'o4', { id: 'o4' }, 6 * MIN), // late: 4 min behind
      rec('payments', 'o3', { at: 7 }, 7 * MIN), // finds o3
      rec('payments', 'o4', { at: 6 }, 6 * MIN), // o4 was never buffered: no row
    ]);
    assert.deepEqual(changes(ex, 'paid'), [['o3', { order: 'o3', paidAt: 7 }]]);
    assert.deepEqual(
      ex.late.map((l) => [l.projection, l.key, l.timestamp, l.streamTime]),
      [['paid', 'o4', 6 * MIN, 10 * MIN]],
    );
  });

  it('unmatched: eager pads at once and keeps the padded row when a partner arrives', () => {
    const ex = run(payments('eager'), [
      rec('orders', 'o1', { id: 'o1' }, 0),
      rec('payments', 'o1', { at: 5 }, 5 * MIN),
    ]);
    assert.deepEqual(changes(ex, 'paid'), [
      ['o1', { order: 'o1', paidAt: null }],
      ['o1', { order: 'o1', paidAt: 5 }],
    ]);
  });
});

describe('what a stream–stream join buffers', () => {
  const joinOf = (select: Record<string, string>): Def => ({
    sources: { orders: { topic: 'orders' }, payments: { topic: 'payments' } },
    projections: {
      paid: { from: 'orders', join: { stream: 'payments', within: '10m' }, select },
    },
  });
  const buffered = (ex: Executor, side: 'left' | 'right') =>
    (ex.stores as unknown as { stores: Map<string, { get(k: string): unknown }> }).stores
      .get(`app-paid-payments-join-${side}`)!
      .get('w\u0000o1') as Array<[number, Array<Record<string, unknown>>]>;

  it("keeps a record's origin when an expression reads it, so a row joined later still has it", () => {
    const ex = run(joinOf({ order: 'id', orderOffset: '_offset', orderTopic: '_topic' }), [
      rec('orders', 'o0', { id: 'o0' }, 0),
      rec('orders', 'o1', { id: 'o1' }, 1),
      rec('payments', 'o1', { at: 2 }, 2), // finds o1 in the orders' buffer
    ]);
    assert.deepEqual(changes(ex, 'paid'), [['o1', { order: 'o1', orderOffset: 1, orderTopic: 'orders' }]]);
    assert.deepEqual(Object.keys(buffered(ex, 'left')[0]![1][0]!).sort(), ['m', 'v', 'y']);
  });

  it('keeps neither key nor origin when nothing reads them', () => {
    const ex = run(joinOf({ order: 'id', paidAt: 'payments.at' }), [
      rec('orders', 'o1', { id: 'o1' }, 1),
      rec('payments', 'o1', { at: 2 }, 2),
    ]);
    assert.deepEqual(changes(ex, 'paid'), [['o1', { order: 'o1', paidAt: 2 }]]);
    for (const side of ['left', 'right'] as const)
      assert.deepEqual(Object.keys(buffered(ex, side)[0]![1][0]!).sort(), ['v', 'y'], side);
  });

  const both = [
    rec('orders', 'o1', { id: 'o1', customer: 'c1', note: 'x'.repeat(50) }, 1),
    rec('payments', 'o1', { at: 2, method: 'card', note: 'y'.repeat(50) }, 2),
    rec('orders', 'o1', { id: 'o1', customer: 'c2', note: 'z' }, 3), // finds the buffered payment
  ];
  const values = (ex: Executor, side: 'left' | 'right') => buffered(ex, side).map(([, r]) => r[0]!.v);

  it('keeps only the fields of each side that the expressions after the join read', () => {
    const ex = run(
      joinOf({ customer: 'customer', paidAt: 'payments.at', card: "payments.method == 'card'" }),
      both,
    );
    assert.deepEqual(changes(ex, 'paid'), [
      ['o1', { customer: 'c1', paidAt: 2, card: true }],
      ['o1', { customer: 'c2', paidAt: 2, card: true }],
    ]);
    assert.deepEqual(values(ex, 'left'), [{ customer: 'c1' }, { customer: 'c2' }]);
    assert.deepEqual(values(ex, 'right'), [{ at: 2, method: 'card' }]);
  });

  it('keeps a row whole when it is read whole: _value, the right row by its alias, or no select', () => {
    const whole = run(joinOf({ order: '_value' }), both);
    assert.equal((values(whole, 'left')[0] as { note: string }).note.length, 50);
    const right = run(joinOf({ order: 'id', payment: 'payments' }), both);
    assert.deepEqual(values(right, 'right'), [{ at: 2, method: 'card', note: 'y'.repeat(50) }]);
    assert.deepEqual(values(right, 'left'), [{ id: 'o1' }, { id: 'o1' }]);
    const noSelect: Def = {
      ...joinOf({}),
      projections: { paid: { from: 'orders', join: { stream: 'payments', within: '10m' } } },
    };
    const ex = run(noSelect, both);
    assert.equal(changes(ex, 'paid').length, 2);
    assert.deepEqual(values(ex, 'right'), [{ at: 2, method: 'card', note: 'y'.repeat(50) }]);
  });
});

describe('windowed key formats', () => {
  it('fixtures name a windowed row <key>@<start>-<end>', () => {
    assert.equal(tableKey({ key: 'a', window: { start: 0, end: 5 } }), 'a@0-5');
    assert.equal(tableKey({ key: { x: 1 }, window: { start: 2, end: 2 } }), '{"x":1}@2-2');
    assert.equal(tableKey('plain'), 'plain');
  });

  it("Kafka Streams' binary layout: key bytes, then start (time) or end and start (session) as 8-byte longs", () => {
    const key = new TextEncoder().encode('k1');
    const time = binaryWindowedKey(key, { start: 258, end: 300 }, 'tumbling');
    assert.deepEqual([...time], [0x6b, 0x31, 0, 0, 0, 0, 0, 0, 1, 2]);
    const session = binaryWindowedKey(key, { start: 1, end: 2 }, 'session');
    assert.deepEqual([...session.slice(2)], [0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual(parseBinaryWindowedKey(session, 'session').window, { start: 1, end: 2 });
    assert.deepEqual(parseBinaryWindowedKey(time, 'tumbling', 42), {
      keyBytes: key,
      window: { start: 258, end: 300 },
    });
  });
});
