// A windowed aggregate's final rows are derived on read from its window store. They must read as
// what the rows store used to hold — the fold of the output records (tombstones delete), minus the
// windows retention deleted — except that a window past the retention bound is gone at once, not
// when its segment is deleted. Checked all along a run (emit changes and final, having hiding and
// showing a window again, hopping windows, sessions), by key and through the query API's scans.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { names } from '../../../projections/graph/names.ts';
import { encodeKey } from '../../../projections/keys.ts';
import { readRow, readRows, type RowsView, type StoredFinalRow } from '../../../projections/rows/index.ts';
import { windowRowKey, windowStoreKey } from '../../../projections/windows/keys.ts';
import type { MemoryStoreProvider } from '../../../projections/store.ts';
import { engineStateSource } from './helpers.ts';
import { type Def, rec } from '../engine/helpers.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { Definition } from '../../../projections/definition/schema.ts';

const S = 1000;
const USERS = ['u0', 'u1', 'u10', 'u2'];

const def = (window: Record<string, unknown>, emit: 'changes' | 'final'): Def => ({
  sources: { clicks: { topic: 'clicks', key: 'user' } },
  projections: {
    per_user: {
      from: 'clicks',
      window: window as never,
      emit,
      aggregate: { n: { count: '*' } },
      // a window of exactly 2 clicks has no row (emit changes: a tombstone, then a row again at 3)
      having: 'n != 2',
      select: { n: 'n', from: 'windowStart' },
    },
  },
});

/** Clicks over 12 minutes, a few out of order (within grace or late), seeded. */
function clicks() {
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const out = [];
  for (let i = 0; i < 240; i++) {
    const t = i * 3 * S - (random() < 0.1 ? Math.floor(random() * 40 * S) : 0);
    const user = USERS[Math.floor(random() * USERS.length)]!;
    out.push(rec('clicks', user, { user }, Math.max(0, t)));
  }
  return out;
}

interface Meta {
  nb: number;
}

/** What the rows store held: the output records folded by row key, minus windows retention deleted. */
function rowsStoreHeld(ex: Executor, session: boolean): Map<string, StoredFinalRow> {
  const agg = ex.stores.store(names.aggregateStore('app', 'per_user'));
  const held = new Map<string, StoredFinalRow>();
  for (const o of ex.outputsOf('per_user')) {
    const { key, window } = o.key as { key: string; window: { start: number; end: number } };
    const rowKey = windowRowKey(encodeKey(key), window);
    if (o.value === null) held.delete(rowKey);
    else held.set(rowKey, { v: o.value, t: o.timestamp });
  }
  for (const o of ex.outputsOf('per_user')) {
    const { key, window } = o.key as { key: string; window: { start: number; end: number } };
    const stored = agg.get(windowStoreKey(encodeKey(key), window, session ? 'session' : 'tumbling'));
    if (stored === undefined) held.delete(windowRowKey(encodeKey(key), window));
  }
  return held;
}

/** ...and what queries answer now: none past the retention bound, even before their segment goes. */
function expected(ex: Executor, session: boolean, retentionMs: number) {
  const meta = ex.stores.store(names.aggregateStore('app', 'per_user')).get('m') as Meta;
  const held = rowsStoreHeld(ex, session);
  let pastBound = 0;
  for (const [rowKey] of held) {
    const [, start, end] = rowKey.split('\0').map((x) => parseInt(x, 16));
    if ((session ? end! : start!) < meta.nb - retentionMs) {
      held.delete(rowKey);
      pastBound++;
    }
  }
  return { rows: held, pastBound };
}

async function derived(ex: Executor, view: RowsView, range = {}) {
  const rows = new Map<string, StoredFinalRow>();
  for await (const [k, r] of readRows(ex.stores, view, range)) rows.set(k, r);
  return rows;
}

const cases = [
  {
    name: 'hopping, emit changes',
    window: { type: 'hopping', size: '1m', advance: '10s', grace: '20s', retention: '2m' },
    emit: 'changes',
    retentionMs: 120 * S,
  },
  {
    name: 'hopping, emit final',
    window: { type: 'hopping', size: '1m', advance: '10s', grace: '20s', retention: '2m' },
    emit: 'final',
    retentionMs: 120 * S,
  },
  {
    name: 'tumbling, emit final',
    window: { type: 'tumbling', size: '1m', grace: '10s' },
    emit: 'final',
    retentionMs: 70 * S,
  },
  {
    name: 'session, emit changes',
    window: { type: 'session', gap: '10s', grace: '5s', retention: '1m' },
    emit: 'changes',
    retentionMs: 60 * S,
  },
] as const;

describe('windowed rows derived from the window store', () => {
  for (const c of cases) {
    it(`${c.name}: read as the rows store held them, all along the run`, async () => {
      const session = c.window.type === 'session';
      const ex = new Executor(
        compileTopology(Definition.parse({ application: 'app', ...def(c.window, c.emit) })),
      );
      const view = ex.topology.projections.find((p) => p.name === 'per_user')!.rows!;
      assert.equal(view.store, names.aggregateStore('app', 'per_user'));
      assert.ok(!ex.topology.subTopologies.some((s) => s.stores.some((st) => st.name.endsWith('-rows'))));
      let checked = 0;
      let pastBound = 0;
      let hidden = 0;
      for (const [i, r] of clicks().entries()) {
        ex.process(r);
        if (i % 5 !== 4) continue;
        const want = expected(ex, session, c.retentionMs);
        assert.deepEqual(await derived(ex, view), want.rows, `after ${i + 1} clicks`);
        for (const [k, row] of want.rows) assert.deepEqual(readRow(ex.stores, view, k), row);
        pastBound += want.pastBound;
        checked += want.rows.size;
        hidden += [...(ex.stores as MemoryStoreProvider).stores.get(view.store)!.entries()].filter(
          ([k, v]) => k.startsWith('w\0') && (v as { a: { n: number } }).a.n === 2,
        ).length;
      }
      assert.ok(checked > 100, `${checked} rows compared`);
      assert.ok(hidden > 0, 'some windows were hidden by having');
      // hopping windows start within a segment of the bound: some are past it but still stored
      if (c.window.type === 'hopping') assert.ok(pastBound > 0, 'a window past retention, not yet deleted');
    });
  }

  it('emit final: a window has no row until it closed', async () => {
    const ex = new Executor(
      compileTopology(Definition.parse({ application: 'app', ...def(cases[2].window, 'final') })),
    );
    const view = ex.topology.projections.find((p) => p.name === 'per_user')!.rows!;
    ex.process(rec('clicks', 'u0', { user: 'u0' }, 0));
    ex.process(rec('clicks', 'u0', { user: 'u0' }, 30 * S));
    ex.process(rec('clicks', 'u0', { user: 'u0' }, 50 * S));
    assert.equal((await derived(ex, view)).size, 0, 'open: no row');
    ex.process(rec('clicks', 'u1', { user: 'u1' }, 70 * S)); // closes [0, 1m)
    assert.deepEqual([...(await derived(ex, view)).values()], [{ v: { n: 3, from: 0 }, t: 50 * S }]);
  });

  it('sessions with emit final keep a rows store: an emitted session can be merged away', async () => {
    // with the default retention (40 s) the closed session would be invisible, never merged
    const window = { type: 'session', gap: '10s', grace: '30s', retention: '2m' };
    const ex = new Executor(
      compileTopology(Definition.parse({ application: 'app', ...def(window, 'final') })),
    );
    const view = ex.topology.projections.find((p) => p.name === 'per_user')!.rows!;
    assert.equal(view.store, names.rowsStore('app', 'per_user'));
    assert.equal(view.derived, false);
    ex.process(rec('clicks', 'u0', { user: 'u0' }, 0));
    ex.process(rec('clicks', 'u1', { user: 'u1' }, 45 * S)); // closes u0's [0, 0]: emitted
    ex.process(rec('clicks', 'u0', { user: 'u0' }, 8 * S)); // within gap and grace: merged into [0, 8 s]
    ex.process(rec('clicks', 'u0', { user: 'u0' }, 9 * S)); // [0, 9 s], 3 clicks (having hides 2)
    ex.process(rec('clicks', 'u1', { user: 'u1' }, 60 * S)); // closes [0, 9 s]
    // both emitted rows stay in the output topic, and in the rows store; the window store has one
    assert.deepEqual(
      [...(await derived(ex, view)).keys()],
      [windowRowKey('u0', { start: 0, end: 0 }), windowRowKey('u0', { start: 0, end: 9 * S })],
    );
    assert.deepEqual([...rowsStoreHeld(ex, true).keys()], [windowRowKey('u0', { start: 0, end: 9 * S })]);
  });

  it('the query API scans pages and key ranges of derived rows', async () => {
    const ex = new Executor(
      compileTopology(Definition.parse({ application: 'app', ...def(cases[0].window, 'changes') })),
    );
    const inputs = clicks();
    for (const r of inputs) ex.process(r);
    const source = engineStateSource(ex, 'clicks', inputs.length);
    const all = [...expected(ex, false, cases[0].retentionMs).rows.keys()].sort();
    assert.ok(all.length > 10);
    const paged: string[] = [];
    for (let after: string | undefined; ;) {
      const page = await source.scan('per_user', { limit: 4, ...(after ? { after } : {}) });
      assert.ok(Array.isArray(page));
      paged.push(...page.map((r) => r.key));
      if (page.length < 4) break;
      after = page.at(-1)!.key;
    }
    assert.deepEqual(paged, all);
    // one key's windows from the second one on, as GET /keys/{key}?from= asks
    const u1 = all.filter((k) => k.startsWith('u1\0'));
    const from = u1[1]!.slice(0, -13);
    const listed = await source.scan('per_user', { prefix: 'u1\0', from, limit: 100 });
    assert.ok(Array.isArray(listed));
    assert.deepEqual(
      listed.map((r) => r.key),
      u1.slice(1),
    );
    const status = await source.projections();
    assert.equal(status.find((p) => p.name === 'per_user')!.rows, all.length);
  });
});
