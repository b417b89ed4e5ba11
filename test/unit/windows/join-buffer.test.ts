// A stream–stream join's buffer (projections/windows/join-buffer.ts): one value per key, lookups by
// time range within retention, records leaving with their segment, and a buffer written in the
// window store's layout by an earlier version re-filed on open.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../projections/store.ts';
import { JoinBuffer } from '../../../projections/windows/join-buffer.ts';
import { WindowStore } from '../../../projections/windows/state.ts';

const RETENTION = 8_000; // segments of 1 s

function add(store: MemoryStore<any>, key: string, t: number, record: string): boolean {
  const buffer = new JoinBuffer<string>(store, RETENTION);
  const added = buffer.add(key, t, record);
  buffer.save();
  return added;
}

const dataKeys = (store: MemoryStore<any>) =>
  [...store.entries()].map(([k]) => k).filter((k) => k.startsWith('w\u0000'));

describe('join buffer', () => {
  it("keeps a key's records in one value, by time, several per timestamp", () => {
    const store = new MemoryStore<any>();
    add(store, 'a', 20, 'a20');
    add(store, 'a', 10, 'a10');
    add(store, 'a', 20, 'a20b');
    add(store, 'b', 15, 'b15');
    assert.deepEqual(dataKeys(store), ['w\u0000a', 'w\u0000b']);
    const buffer = new JoinBuffer<string>(store, RETENTION);
    assert.deepEqual(buffer.within('a', 0, 100), [
      [10, ['a10']],
      [20, ['a20', 'a20b']],
    ]);
    assert.deepEqual(buffer.within('a', 11, 20), [[20, ['a20', 'a20b']]]);
    assert.deepEqual(buffer.within('c', 0, 100), []);
  });

  it('a record past retention is invisible at once, refused when it arrives, and leaves with its segment', () => {
    const store = new MemoryStore<any>();
    add(store, 'a', 500, 'old');
    add(store, 'b', 600, 'b');
    add(store, 'a', 8_700, 'new'); // 500 and 600 are now past retention; their segment [0, 1 s) is not yet
    assert.deepEqual(new JoinBuffer<string>(store, RETENTION).within('a', 0, 10_000), [[8_700, ['new']]]);
    assert.equal(add(store, 'c', 650, 'late'), false);
    assert.deepEqual(dataKeys(store), ['w\u0000a', 'w\u0000b']);
    add(store, 'a', 9_000, 'newer'); // segment [0, 1 s) is all past retention now
    assert.deepEqual(dataKeys(store), ['w\u0000a']);
    assert.deepEqual(
      (store.get('w\u0000a') as unknown[]).map((slot) => (slot as [number])[0]),
      [8_700, 9_000],
    );
    assert.ok(
      ![...store.entries()].some(([k]) => k.startsWith('x\u00000\u0000')),
      'segment 0 left the store',
    );
  });

  it('expiry reads no live segment when no expired key goes on later, and keeps the keys that do', () => {
    const store = new MemoryStore<any>();
    const chunkReads: string[] = [];
    const counting = Object.assign(Object.create(store) as MemoryStore<any>, {
      get: (key: string) => {
        if (key.startsWith('x\u0000')) chunkReads.push(key);
        return store.get(key);
      },
    });
    for (let t = 0; t < 8_000; t += 250) add(counting, `k${t}`, t, `r${t}`); // one record per key
    chunkReads.length = 0;
    add(counting, 'late-comer', 9_100, 'x'); // segment [0, 1 s) expires
    assert.deepEqual(
      chunkReads.filter((k) => !k.startsWith('x\u00000\u0000') && !k.startsWith('x\u00009000\u0000')),
      [],
      'only the expired segment (and the one appended to) were read',
    );
    const left = dataKeys(store);
    assert.ok(!left.includes('w\u0000k750') && left.includes('w\u0000k1000'), 'segment 0 keys deleted');

    // a key with an older record filed after a newer one (out of order) still goes on later
    const other = new MemoryStore<any>();
    add(other, 'a', 8_500, 'a-new');
    add(other, 'a', 600, 'a-old'); // segment [0, 1 s), behind the key's newest record
    add(other, 'b', 700, 'b');
    add(other, 'c', 9_100, 'c'); // segment [0, 1 s) expires
    assert.deepEqual(new JoinBuffer<string>(other, RETENTION).within('a', 0, 10_000), [[8_500, ['a-new']]]);
    assert.deepEqual(dataKeys(other), ['w\u0000a', 'w\u0000c']);
  });

  it('a buffer in the window store layout (an earlier version) is re-filed on open', () => {
    const store = new MemoryStore<any>();
    const old = new WindowStore<string[]>(store, { type: 'session', retentionMs: RETENTION });
    old.put('a', 'a', { start: 10, end: 10 }, ['a10']);
    old.put('a', 'a', { start: 30, end: 30 }, ['a30', 'a30b']);
    old.put('b', 'b', { start: 20, end: 20 }, ['b20']);
    old.save();
    const buffer = new JoinBuffer<string>(store, RETENTION);
    assert.deepEqual(buffer.within('a', 0, 100), [
      [10, ['a10']],
      [30, ['a30', 'a30b']],
    ]);
    assert.deepEqual(buffer.within('b', 0, 100), [[20, ['b20']]]);
    assert.deepEqual(dataKeys(store), ['w\u0000a', 'w\u0000b']);
    assert.ok(![...store.entries()].some(([k]) => k.startsWith('s\u0000')), 'the session index is gone');
    assert.equal((store.get('m') as { v: number }).v, 3);
    // and it goes on buffering and expiring in the new layout
    add(store, 'a', 9_500, 'new');
    assert.deepEqual(dataKeys(store), ['w\u0000a']);
  });
});
