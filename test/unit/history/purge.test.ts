// Deleted keys are purged once stream time passes their delete by the retention; nothing else is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bucketKey,
  headKey,
  type HistoryLimits,
  PURGE_STATE_KEY,
  purgeDeleted,
  recordVersion,
  versionAsOf,
} from '../../../projections/history/index.ts';
import type { Row } from '../../../projections/records.ts';
import { MemoryStore } from '../../../projections/store.ts';

const LIMITS: HistoryLimits = { retentionMs: 800, chunkSize: 2 }; // buckets 100 ms wide

/** What the recorder does for one emitted record. */
function emit(store: MemoryStore<unknown>, key: string, time: number, row: Row | null): void {
  purgeDeleted(store, key, time, recordVersion(store, key, time, row, LIMITS), LIMITS);
}

describe('purging deleted keys', () => {
  it('removes a deleted key (head and chunks) once stream time passes the delete by the retention', () => {
    const s = new MemoryStore<unknown>();
    for (let t = 0; t < 5; t++) emit(s, 'gone', 900 + t * 10, { n: t }); // 5 versions: 2 sealed chunks
    emit(s, 'gone', 1000, null); // bucket [1000, 1100)
    assert.deepEqual(s.get(bucketKey(1100)), ['gone']);
    assert.ok(
      [...s.entries()].some(([k]) => k.startsWith('c')),
      'chunks exist',
    );

    emit(s, 'other', 1898, { n: 1 }); // cutoff 1098: a delete at 1099 would not be due yet
    assert.deepEqual(versionAsOf(s, 'gone', 1000), { kind: 'absent', since: 1000 }, 'not yet');
    assert.ok(s.get(headKey('gone')));

    emit(s, 'other', 1899, { n: 2 }); // cutoff 1099: every delete of the bucket is due
    assert.deepEqual(
      [...s.entries()].map(([k]) => k).sort(),
      [PURGE_STATE_KEY, headKey('other')],
      'head, chunks and bucket of the deleted key are gone',
    );
    assert.deepEqual(s.get(PURGE_STATE_KEY), { c: 1899 });
    assert.deepEqual(versionAsOf(s, 'gone', 1000), { kind: 'absent' });
  });

  it('keeps a key that came back after its delete, and purges its later delete in turn', () => {
    const s = new MemoryStore<unknown>();
    emit(s, 'k', 0, { n: 1 });
    emit(s, 'k', 50, null);
    emit(s, 'k', 60, { n: 2 }); // back
    emit(s, 'x', 2000, { n: 1 }); // sweeps the bucket of the first delete
    assert.deepEqual(versionAsOf(s, 'k', 2000), { kind: 'row', value: { n: 2 }, since: 60 });
    emit(s, 'k', 2100, null);
    emit(s, 'x', 2850, { n: 2 }); // cutoff 2050: the 2100 delete is not due
    assert.ok(s.get(headKey('k')));
    emit(s, 'x', 3000, { n: 3 }); // cutoff 2200 ≥ end of bucket [2100, 2200)
    assert.equal(s.get(headKey('k')), undefined);
  });

  it('keeps the store bounded when keys come and go forever', () => {
    const s = new MemoryStore<unknown>();
    for (let i = 0; i < 2000; i++) {
      emit(s, `order-${i}`, i * 10, { status: 'placed' });
      emit(s, `order-${i}`, i * 10 + 5, { status: 'paid' });
      emit(s, `order-${i}`, i * 10 + 7, null);
    }
    // Orders deleted within the retention (800 ms = 80 orders) or one bucket more (10) stay, each
    // a head and one sealed chunk; plus the queued buckets and the stream time.
    assert.ok(s.size <= 2 * 90 + 10 + 1, `store keeps ${s.size} keys`);
    assert.ok(s.get(headKey('order-1999')), 'the newest delete is still answerable');
    assert.equal(s.get(headKey('order-0')), undefined);
  });

  it('a late delete already past the cutoff is purged at once', () => {
    const s = new MemoryStore<unknown>();
    emit(s, 'now', 5000, { n: 1 });
    emit(s, 'old', 100, { n: 1 });
    emit(s, 'old', 200, null);
    assert.equal(s.get(headKey('old')), undefined);
    assert.deepEqual(s.get(PURGE_STATE_KEY), { c: 5000 });
  });
});
