// The per-key version list: ordering, trimming by retention and maxVersions, tombstones, asOf.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addVersion,
  type HistoryLimits,
  type HistoryValue,
  valueAsOf,
} from '../../../projections/history/index.ts';
import type { Row } from '../../../projections/records.ts';

const DAY = 86_400_000;

/** Folds [time, row] writes into a history, as the recorder does. */
function build(writes: Array<[number, Row | null]>, limits: HistoryLimits): HistoryValue | undefined {
  let h: HistoryValue | undefined;
  for (const [t, row] of writes) h = addVersion(h, t, row, limits);
  return h;
}

const LONG: HistoryLimits = { retentionMs: 365 * DAY };

describe('history versions', () => {
  it('keeps versions in event-time order and answers asOf inclusively at exact boundaries', () => {
    const h = build(
      [
        [1000, { n: 1 }],
        [2000, { n: 2 }],
        [3000, { n: 3 }],
      ],
      LONG,
    );
    assert.deepEqual(h, {
      v: [
        [1000, { n: 1 }],
        [2000, { n: 2 }],
        [3000, { n: 3 }],
      ],
    });
    assert.deepEqual(valueAsOf(h, 999), { kind: 'absent' }, 'before the first version: no row');
    assert.deepEqual(valueAsOf(h, 1000), { kind: 'row', value: { n: 1 }, since: 1000 });
    assert.deepEqual(valueAsOf(h, 1999), { kind: 'row', value: { n: 1 }, since: 1000 });
    assert.deepEqual(valueAsOf(h, 2000), { kind: 'row', value: { n: 2 }, since: 2000 });
    assert.deepEqual(valueAsOf(h, 10 ** 13), { kind: 'row', value: { n: 3 }, since: 3000 });
  });

  it('a key without history is absent at every time', () => {
    assert.deepEqual(valueAsOf(undefined, 5), { kind: 'absent' });
    assert.equal(addVersion(undefined, 5, null, LONG), undefined, 'a delete of an unknown key keeps nothing');
  });

  it('tombstones are versions: asOf after a delete finds no row, before it the old row', () => {
    const h = build(
      [
        [1000, { n: 1 }],
        [2000, null],
        [3000, { n: 7 }],
      ],
      LONG,
    );
    assert.deepEqual(valueAsOf(h, 1500), { kind: 'row', value: { n: 1 }, since: 1000 });
    assert.deepEqual(valueAsOf(h, 2000), { kind: 'absent', since: 2000 });
    assert.deepEqual(valueAsOf(h, 2999), { kind: 'absent', since: 2000 });
    assert.deepEqual(valueAsOf(h, 3000), { kind: 'row', value: { n: 7 }, since: 3000 });
  });

  it('retention drops versions older than (newest − retention) but keeps the one in force at the cutoff', () => {
    const limits = { retentionMs: 1000 };
    const h = build(
      [
        [1000, { n: 1 }],
        [2000, { n: 2 }],
        [2500, { n: 3 }],
        [4000, { n: 4 }], // cutoff 3000: {n:3} (from 2500) is in force at 3000, {n:1} and {n:2} go
      ],
      limits,
    );
    assert.deepEqual(h, {
      v: [
        [2500, { n: 3 }],
        [4000, { n: 4 }],
      ],
      cut: 1,
    });
    assert.deepEqual(
      valueAsOf(h, 3000),
      { kind: 'row', value: { n: 3 }, since: 2500 },
      'cutoff itself is exact',
    );
    assert.deepEqual(valueAsOf(h, 2500), { kind: 'row', value: { n: 3 }, since: 2500 });
    assert.deepEqual(
      valueAsOf(h, 2499),
      { kind: 'trimmed', oldest: 2500 },
      'older history is unknown, not absent',
    );
  });

  it('a version exactly at the cutoff replaces the older ones', () => {
    const h = build(
      [
        [1000, { n: 1 }],
        [3000, { n: 3 }],
        [4000, { n: 4 }], // cutoff 3000 = time of {n:3}: {n:1} is no longer needed
      ],
      { retentionMs: 1000 },
    );
    assert.deepEqual(
      h?.v.map(([t]) => t),
      [3000, 4000],
    );
    const kept = build(
      [
        [1000, { n: 1 }],
        [3001, { n: 3 }],
        [4000, { n: 4 }], // cutoff 3000 < 3001: {n:1} is still in force at the cutoff
      ],
      { retentionMs: 1000 },
    );
    assert.deepEqual(
      kept?.v.map(([t]) => t),
      [1000, 3001, 4000],
    );
    assert.equal(kept?.cut, undefined);
  });

  it('maxVersions keeps the newest N and marks older times as trimmed', () => {
    const h = build(
      [1, 2, 3, 4, 5].map((n) => [n * 1000, { n }] as [number, Row]),
      { retentionMs: 365 * DAY, maxVersions: 2 },
    );
    assert.deepEqual(h, {
      v: [
        [4000, { n: 4 }],
        [5000, { n: 5 }],
      ],
      cut: 1,
    });
    assert.deepEqual(valueAsOf(h, 3999), { kind: 'trimmed', oldest: 4000 });
  });

  it('a late version is recorded at the newest time, so the newest version is always the current row', () => {
    const h = build(
      [
        [1000, { n: 1 }],
        [5000, { n: 2 }],
        [3000, { n: 3 }], // late: processed after the 5000 one, so it is the current row
      ],
      LONG,
    );
    assert.deepEqual(h?.v, [
      [1000, { n: 1 }],
      [5000, { n: 3 }],
    ]);
  });

  it('an unchanged row or a repeated delete adds no version (tables emit every update)', () => {
    const limits = LONG;
    const once = build([[1000, { n: 1 }]], limits)!;
    assert.equal(addVersion(once, 2000, { n: 1 }, limits), once, 'same object: no write needed');
    const deleted = addVersion(once, 3000, null, limits)!;
    assert.equal(addVersion(deleted, 4000, null, limits), deleted);
  });

  it('durable as JSON: a round trip answers the same', () => {
    const h = build(
      [
        [1000, { a: [1, 2], b: { c: 'x' } }],
        [2000, null],
      ],
      LONG,
    );
    const copy = JSON.parse(JSON.stringify(h)) as HistoryValue;
    for (const t of [999, 1000, 1999, 2000, 3000]) assert.deepEqual(valueAsOf(copy, t), valueAsOf(h, t));
  });
});
