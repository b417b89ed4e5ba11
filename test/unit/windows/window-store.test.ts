// The window store's bookkeeping (projections/windows/state.ts): a commit rewrites only the chunks that
// grew and a meta of a few segments, however many windows or buffered records the store holds;
// retention deletes whole segments; removed sessions never come back; a store in the earlier layout
// (one entry list per bucket time) is re-filed on open.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KeyValueStore, MemoryStore } from '../../../projections/store.ts';
import { CHUNK, SEGMENTS } from '../../../projections/windows/segments.ts';
import { WindowStore } from '../../../projections/windows/state.ts';

/** A MemoryStore that remembers which keys were written since the last `take()`. */
function tracked() {
  const inner = new MemoryStore<any>();
  const written = new Set<string>();
  const store: KeyValueStore<any> = {
    get: (k) => inner.get(k),
    put: (k, v) => (written.add(k), inner.put(k, v)),
    delete: (k) => (written.add(k), inner.delete(k)),
    scan: (r) => inner.scan(r),
  };
  const take = () => {
    const keys = [...written];
    written.clear();
    return keys;
  };
  return { inner, store, take };
}

const sessionLayout = { type: 'session' as const, retentionMs: 35_000 };
const at = (t: number) => ({ start: t, end: t });

describe('window store bookkeeping', () => {
  it('a join buffer of many records keeps a few segments, and a put rewrites one bounded chunk', () => {
    const { inner, store, take } = tracked();
    let most = 0;
    for (let t = 0; t < 100_000; t += 3) {
      const w = new WindowStore<number[]>(store, sessionLayout);
      w.put(`k${t}`, `k${t}`, at(t), [t]);
      w.save();
      const meta = inner.get('m') as { b: unknown[] };
      assert.ok(meta.b.length <= SEGMENTS + 2, `${meta.b.length} segments in the meta`);
      for (const k of take().filter((k) => k.startsWith('x\u0000')))
        most = Math.max(most, (inner.get(k) as unknown[] | undefined)?.length ?? 0);
    }
    assert.ok(most <= CHUNK, `a chunk of ${most} entries was rewritten`);
    // retention bounds the records kept: 35 s of them, plus at most one segment
    const records = [...inner.entries()].filter(([k]) => k.startsWith('w\u0000')).length;
    assert.ok(records >= 35_000 / 3 && records <= (35_000 + 35_000 / SEGMENTS) / 3 + 2, `${records} records`);
  });

  it('a window past retention is invisible at once, and deleted with its segment', () => {
    const { inner, store } = tracked();
    const expired: number[] = [];
    const open = () =>
      new WindowStore<number>(store, { type: 'tumbling', retentionMs: 8_000 }, (_k, w) =>
        expired.push(w.start),
      );
    const put = (start: number, value: number) => {
      const w = open();
      w.put('a', 'a', { start, end: start + 1_000 }, value);
      w.save();
    };
    put(0, 1);
    put(8_500, 2); // window 0 is now past retention (8 s before 8.5 s)
    assert.equal(open().get('a', { start: 0, end: 1_000 }), undefined);
    // but its segment, [0, 1 s) (retention / 8), is not all past retention yet
    assert.deepEqual(expired, []);
    put(9_000, 3); // now it is
    assert.deepEqual(expired, [0]);
    assert.equal(inner.get('w\u0000a\u0000000000000000'), undefined);
    assert.ok(
      ![...inner.entries()].some(([k]) => k.startsWith('x\u00000\u0000')),
      'segment 0 left the store',
    );
  });

  it('a removed session is skipped by emission; removed and stored again, it counts once', () => {
    const { store } = tracked();
    const w = new WindowStore<number>(store, sessionLayout);
    w.put('a', 'a', { start: 0, end: 10 }, 1);
    w.put('b', 'b', { start: 5, end: 10 }, 2); // same bucket time (end) as a
    w.remove('a', { start: 0, end: 10 });
    assert.deepEqual(
      w.inBuckets(0, 100).map((s) => s.encodedKey),
      ['b'],
    );
    w.put('a', 'a', { start: 0, end: 10 }, 3);
    assert.deepEqual(
      w.inBuckets(0, 100).map((s) => [s.encodedKey, s.state]),
      // by bucket time, then arrival: a now arrived after b
      [
        ['b', 2],
        ['a', 3],
      ],
    );
  });

  it('a store in the earlier layout (one list per bucket time) is re-filed on open', () => {
    const { inner, store } = tracked();
    const legacyKey = (t: number) => `x\u0000${t}`;
    inner.put('m', { st: 20, nb: 20, le: -1, b: [10, 20] });
    inner.put(legacyKey(10), [['a', 5, 10, 'a']]);
    inner.put(legacyKey(20), [['b', 15, 20, 'b']]);
    inner.put('w\u0000a\u0000000000000005\u000000000000000a', 1);
    inner.put('w\u0000b\u000000000000000f\u0000000000000014', 2);
    const w = new WindowStore<number>(store, sessionLayout);
    assert.deepEqual(
      w.inBuckets(0, 100).map((s) => [s.encodedKey, s.window, s.state]),
      [
        ['a', { start: 5, end: 10 }, 1],
        ['b', { start: 15, end: 20 }, 2],
      ],
    );
    assert.equal(inner.get(legacyKey(10)), undefined);
    assert.equal((inner.get('m') as { v: number }).v, 2);
  });
});
