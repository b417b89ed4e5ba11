// A key's history in its store: ordering, asOf at exact boundaries, tombstones, late records,
// trimming by retention and maxVersions, sealed chunks, and a model check against a plain list.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AsOf,
  chunkKey,
  type HistoryHead,
  type HistoryLimits,
  headKey,
  lastAtOrBefore,
  readHistory,
  recordVersion,
  sameRow,
  type Version,
  versionAsOf,
} from '../../../projections/history/index.ts';
import type { Row } from '../../../projections/records.ts';
import { MemoryStore } from '../../../projections/store.ts';

const YEAR = 365 * 86_400_000;

/** The model: every version ever written, by the same rules (late → newest time, unchanged → nothing), never trimmed. */
function appendVersion(versions: readonly Version[], time: number, row: Row | null): readonly Version[] {
  const newest = versions.at(-1);
  if (newest === undefined) return row === null ? versions : [[time, row]];
  if (sameRow(newest[1], row)) return versions;
  const v = versions.slice();
  if (time <= newest[0]) v[v.length - 1] = [newest[0], row];
  else v.push([time, row]);
  return v;
}
const LONG: HistoryLimits = { retentionMs: YEAR };

/** A store of one key's history after the given writes. */
function build(writes: Array<[number, Row | null]>, limits: HistoryLimits, key = 'k'): MemoryStore<unknown> {
  const store = new MemoryStore<unknown>();
  for (const [t, row] of writes) recordVersion(store, key, t, row, limits);
  return store;
}
const n = (k: number): Row => ({ n: k });
const asOf = (store: MemoryStore<unknown>, t: number, key = 'k') => versionAsOf(store, key, t);
const head = (store: MemoryStore<unknown>, key = 'k') => store.get(headKey(key)) as HistoryHead | undefined;

describe('history of one key (open chunk only)', () => {
  it('keeps versions in event-time order and answers asOf inclusively at exact boundaries', () => {
    const s = build(
      [
        [1000, n(1)],
        [2000, n(2)],
        [3000, n(3)],
      ],
      LONG,
    );
    assert.deepEqual(head(s), {
      v: [
        [1000, n(1)],
        [2000, n(2)],
        [3000, n(3)],
      ],
    });
    assert.deepEqual(asOf(s, 999), { kind: 'absent' }, 'before the first version: no row');
    assert.deepEqual(asOf(s, 1000), { kind: 'row', value: n(1), since: 1000 });
    assert.deepEqual(asOf(s, 1999), { kind: 'row', value: n(1), since: 1000 });
    assert.deepEqual(asOf(s, 2000), { kind: 'row', value: n(2), since: 2000 });
    assert.deepEqual(asOf(s, 10 ** 13), { kind: 'row', value: n(3), since: 3000 });
  });

  it('a key without history is absent at every time; a delete of it stores nothing', () => {
    const s = build([[5, null]], LONG);
    assert.equal(s.size, 0);
    assert.deepEqual(asOf(s, 5), { kind: 'absent' });
  });

  it('tombstones are versions: asOf after a delete finds no row, before it the old row', () => {
    const s = build(
      [
        [1000, n(1)],
        [2000, null],
        [3000, n(7)],
      ],
      LONG,
    );
    assert.deepEqual(asOf(s, 1500), { kind: 'row', value: n(1), since: 1000 });
    assert.deepEqual(asOf(s, 2000), { kind: 'absent', since: 2000 });
    assert.deepEqual(asOf(s, 2999), { kind: 'absent', since: 2000 });
    assert.deepEqual(asOf(s, 3000), { kind: 'row', value: n(7), since: 3000 });
  });

  it('retention drops versions older than (newest − retention) but keeps the one in force at the cutoff', () => {
    const s = build(
      [
        [1000, n(1)],
        [2000, n(2)],
        [2500, n(3)],
        [4000, n(4)], // cutoff 3000: n3 (from 2500) is in force at 3000; n1 and n2 go
      ],
      { retentionMs: 1000 },
    );
    assert.deepEqual(head(s), {
      v: [
        [2500, n(3)],
        [4000, n(4)],
      ],
      cut: 1,
    });
    assert.deepEqual(asOf(s, 3000), { kind: 'row', value: n(3), since: 2500 }, 'the cutoff itself is exact');
    assert.deepEqual(asOf(s, 2500), { kind: 'row', value: n(3), since: 2500 });
    assert.deepEqual(
      asOf(s, 2499),
      { kind: 'trimmed', oldest: 2500 },
      'older history is unknown, not absent',
    );
  });

  it('a version exactly at the cutoff makes the older ones unnecessary', () => {
    const exact = build(
      [
        [1000, n(1)],
        [3000, n(3)],
        [4000, n(4)],
      ],
      { retentionMs: 1000 },
    );
    assert.deepEqual(
      readHistory(exact, 'k').map(([t]) => t),
      [3000, 4000],
    );
    const after = build(
      [
        [1000, n(1)],
        [3001, n(3)],
        [4000, n(4)], // cutoff 3000 < 3001: n1 is still in force at the cutoff
      ],
      { retentionMs: 1000 },
    );
    assert.deepEqual(
      readHistory(after, 'k').map(([t]) => t),
      [1000, 3001, 4000],
    );
    assert.equal(head(after)?.cut, undefined);
  });

  it('maxVersions keeps the newest N and marks older times as trimmed', () => {
    const s = build(
      [1, 2, 3, 4, 5].map((k) => [k * 1000, n(k)] as [number, Row]),
      { retentionMs: YEAR, maxVersions: 2 },
    );
    assert.deepEqual(head(s), {
      v: [
        [4000, n(4)],
        [5000, n(5)],
      ],
      cut: 1,
    });
    assert.deepEqual(asOf(s, 3999), { kind: 'trimmed', oldest: 4000 });
  });

  it('a late version is recorded at the newest time, so the newest version is always the current row', () => {
    const s = build(
      [
        [1000, n(1)],
        [5000, n(2)],
        [3000, n(3)], // late: processed after the 5000 one, so it is the current row
      ],
      LONG,
    );
    assert.deepEqual(readHistory(s, 'k'), [
      [1000, n(1)],
      [5000, n(3)],
    ]);
  });

  it('an unchanged row or a repeated delete writes nothing (tables emit every update)', () => {
    let puts = 0;
    const s = build([[1000, { a: 1, b: { c: [1] } }]], LONG);
    const put = s.put.bind(s);
    s.put = (k, v) => (puts++, put(k, v));
    recordVersion(s, 'k', 2000, { b: { c: [1] }, a: 1 }, LONG);
    assert.equal(puts, 0, 'same row, fields in another order');
    recordVersion(s, 'k', 3000, null, LONG);
    recordVersion(s, 'k', 4000, null, LONG);
    assert.equal(puts, 1, 'the second delete is no change');
    assert.equal(sameRow({ a: 1 }, { b: 1 }), false);
    assert.equal(sameRow({ a: undefined }, { b: 1 }), false);
    assert.equal(sameRow({ a: { x: 1 } }, { a: { x: 2 } }), false);
  });

  it('versions at the same event time collapse: the last wins', () => {
    const s = build(
      [
        [1000, n(1)],
        [1000, n(2)],
      ],
      LONG,
    );
    assert.deepEqual(readHistory(s, 'k'), [[1000, n(2)]]);
  });

  it('lastAtOrBefore is a binary search from an offset', () => {
    const v: Version[] = [1, 3, 5, 7].map((t) => [t, null]);
    assert.deepEqual(
      [0, 1, 2, 3, 7, 8].map((t) => lastAtOrBefore(v, t)),
      [-1, 0, 0, 1, 3, 3],
    );
    assert.equal(lastAtOrBefore(v, 4, 2), -1);
  });
});

describe('history of one key (sealed chunks)', () => {
  const CHUNK3 = { retentionMs: YEAR, chunkSize: 3 };
  const minutes = (count: number, from = 0) =>
    Array.from({ length: count }, (_, i) => [(from + i) * 60_000, n(from + i)] as [number, Row]);

  it('seals every chunkSize versions into a chunk written once, and reads through the head index', () => {
    const s = new MemoryStore<unknown>();
    const writes = new Map<string, number>();
    const put = s.put.bind(s);
    s.put = (k, v) => (writes.set(k, (writes.get(k) ?? 0) + 1), put(k, v));
    for (const [t, row] of minutes(8)) recordVersion(s, 'k', t, row, CHUNK3);
    assert.deepEqual(head(s), {
      v: [
        [6 * 60_000, n(6)],
        [7 * 60_000, n(7)],
      ],
      s: [0, 3 * 60_000],
      n: 0,
    });
    assert.deepEqual(s.get(chunkKey('k', 0)), minutes(3));
    assert.deepEqual(s.get(chunkKey('k', 1)), minutes(3, 3));
    assert.equal(writes.get(chunkKey('k', 0)), 1, 'a sealed chunk is never rewritten');
    assert.equal(writes.get(chunkKey('k', 1)), 1);
    for (let m = 0; m < 8; m++) {
      assert.deepEqual(asOf(s, m * 60_000), { kind: 'row', value: n(m), since: m * 60_000 }, `minute ${m}`);
      assert.deepEqual(asOf(s, m * 60_000 + 59_999), { kind: 'row', value: n(m), since: m * 60_000 });
    }
    assert.deepEqual(asOf(s, -1), { kind: 'absent' });
    assert.deepEqual(readHistory(s, 'k'), minutes(8));
  });

  it('maxVersions is exact: versions of the oldest chunk are skipped, whole chunks deleted', () => {
    const s = build(minutes(10), { ...CHUNK3, maxVersions: 5 });
    assert.deepEqual(readHistory(s, 'k'), minutes(5, 5));
    assert.deepEqual(asOf(s, 5 * 60_000 - 1), { kind: 'trimmed', oldest: 5 * 60_000 });
    assert.deepEqual(asOf(s, 5 * 60_000), { kind: 'row', value: n(5), since: 5 * 60_000 });
    assert.equal(s.get(chunkKey('k', 0)), undefined, 'chunk 0 (minutes 0-2) is gone');
    assert.deepEqual(head(s)?.o, 2, 'minutes 3 and 4 of chunk 1 are skipped');
  });

  it('retention drops whole chunks once every version in them is superseded at the cutoff', () => {
    const s = build(minutes(10), { ...CHUNK3, retentionMs: 4 * 60_000 }); // newest 9 → cutoff minute 5
    // chunk 0 (0-2) is superseded by minute 3 ≤ 5: gone. chunk 1 (3-5) holds minute 5: kept.
    assert.equal(s.get(chunkKey('k', 0)), undefined);
    assert.deepEqual(readHistory(s, 'k'), minutes(7, 3));
    assert.deepEqual(asOf(s, 5 * 60_000), { kind: 'row', value: n(5), since: 5 * 60_000 });
    assert.deepEqual(asOf(s, 3 * 60_000 - 1), { kind: 'trimmed', oldest: 3 * 60_000 });
  });

  it('when every chunk is gone, sequence numbers start over and old chunk keys are reused safely', () => {
    const s = build(minutes(7), CHUNK3);
    recordVersion(s, 'k', 100 * 60_000, n(100), { ...CHUNK3, retentionMs: 60_000 });
    // cutoff minute 99: minute 6 is the version in force then, so it stays
    assert.deepEqual(head(s), {
      v: [
        [6 * 60_000, n(6)],
        [100 * 60_000, n(100)],
      ],
      cut: 1,
    });
    assert.equal(s.size, 1, 'only the head is left');
    for (const [t, row] of minutes(4, 101)) recordVersion(s, 'k', t, row, CHUNK3);
    assert.deepEqual(head(s)?.s, [6 * 60_000]);
    assert.equal(head(s)?.n, 0, 'chunk 0 again');
    assert.deepEqual(readHistory(s, 'k'), [[6 * 60_000, n(6)], [100 * 60_000, n(100)], ...minutes(4, 101)]);
  });
});

describe('history model check', () => {
  it('after every write, agrees with a plain version list wherever it does not say trimmed', () => {
    // A seeded generator: no flakiness, still many shapes (late records, deletes, repeats). Times
    // and retentions sit on a 10 ms grid so that versions fall exactly on cutoffs often.
    let seed = 42;
    const rand = (k: number): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % k;
    };
    for (let round = 0; round < 150; round++) {
      const limits: HistoryLimits = {
        retentionMs: 10 * (1 + rand(40)),
        chunkSize: 1 + rand(5),
        ...(rand(2) ? { maxVersions: 1 + rand(12) } : {}),
      };
      const store = new MemoryStore<unknown>();
      let all: readonly Version[] = [];
      let t = 0;
      for (let w = 0, count = rand(40); w < count; w++) {
        t += 10 * (rand(4) === 0 ? -rand(3) : rand(6)) + (rand(5) === 0 ? 1 : 0); // some late, some off the grid
        const row = rand(5) === 0 ? null : n(rand(4));
        recordVersion(store, 'k', t, row, limits);
        all = appendVersion(all, t, row);
        check(store, all, limits, `round ${round} write ${w} ${JSON.stringify(limits)}`);
      }
    }
  });
});

/** Every answer at and just before each version time, against the full list `all`. */
function check(
  store: MemoryStore<unknown>,
  all: readonly Version[],
  limits: HistoryLimits,
  where: string,
): void {
  const kept = readHistory(store, 'k');
  if (limits.maxVersions !== undefined) assert.ok(kept.length <= limits.maxVersions, where);
  const newest = all.at(-1)?.[0] ?? 0;
  for (const q of [-1, ...all.flatMap(([time]) => [time - 1, time]), newest + 1]) {
    const got: AsOf = versionAsOf(store, 'k', q);
    const i = lastAtOrBefore(all, q);
    const want: AsOf =
      i < 0
        ? { kind: 'absent' }
        : all[i]![1] === null
          ? { kind: 'absent', since: all[i]![0] }
          : { kind: 'row', value: all[i]![1], since: all[i]![0] };
    if (got.kind === 'trimmed') {
      // Unknown is allowed only where retention or maxVersions let the version in force go.
      const byRetention = q < newest - limits.retentionMs;
      const byMax = limits.maxVersions !== undefined && i < all.length - limits.maxVersions;
      assert.ok(byRetention || byMax, `${where}: t=${q} must not be trimmed`);
      assert.ok(q < got.oldest && got.oldest === kept[0]![0], where);
    } else {
      assert.deepEqual(got, want, `${where}: t=${q}`);
    }
  }
}
