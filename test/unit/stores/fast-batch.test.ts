// FastBatch: puts and deletes land in LevelDB atomically with the first (public) operation, through
// classic-level's native batch; an empty batch writes nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { FastBatch, nativeBatches } from '../../../runtime/stores/fast-batch.ts';

const dir = mkdtempSync(join(tmpdir(), 'streamfold-fast-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('classic-level still has the native batch this relies on', () => {
  assert.equal(nativeBatches, true);
});

test('puts and deletes, string keys (UTF-8) and Buffer values, land in one write', async () => {
  const db = new ClassicLevel<string, Buffer>(join(dir, 'a'), {
    keyEncoding: 'utf8',
    valueEncoding: 'buffer',
  });
  await db.open();
  await db.put('gone', Buffer.from('x'));
  const batch = new FastBatch(db);
  batch.del('gone');
  for (let i = 0; i < 1000; i++) batch.put(`k-${i}-é€`, Buffer.from(`v${i}`));
  batch.del('k-7-é€');
  assert.equal(await db.get('k-1-é€'), undefined, 'nothing is visible before write()');
  await batch.write();
  assert.equal(await db.get('gone'), undefined);
  assert.equal(await db.get('k-7-é€'), undefined);
  assert.equal((await db.get('k-999-é€'))?.toString(), 'v999');
  assert.equal((await db.keys().all()).length, 999);

  await new FastBatch(db).write(); // empty: nothing to do, no error
  await db.close();
});

test('byte-range puts and deletes (a restore from a fetch response) store the same keys and values', async () => {
  const db = new ClassicLevel<string, Buffer>(join(dir, 'b'), {
    keyEncoding: 'utf8',
    valueEncoding: 'buffer',
  });
  await db.open();
  await db.put('s\u0000gone-é', Buffer.from('x'));
  // records laid out back to back in one buffer, as in a record batch
  const long = 'L'.repeat(3000); // a key past the scratch buffer's first size, a value past the copied size
  const records: Array<[string, string | null]> = [
    ['first-é€😀', 'v-first'],
    ...Array.from({ length: 500 }, (_, i): [string, string] => [`k-${i}-é€`, JSON.stringify({ i })]),
    [long, long],
    ['short', ''],
    ['gone-é', null],
    ['k-7-é€', null],
  ];
  const parts: Buffer[] = [];
  const ranges: Array<[number, number, number, number]> = [];
  let at = 0;
  for (const [k, v] of records) {
    const kb = Buffer.from(k);
    const vb = v === null ? Buffer.alloc(0) : Buffer.from(v);
    parts.push(Buffer.from([7]), kb, vb);
    ranges.push([at + 1, kb.length, at + 1 + kb.length, v === null ? -1 : vb.length]);
    at += 1 + kb.length + vb.length;
  }
  const bytes = Buffer.concat(parts);
  // two stores' key spaces in one batch, alternating (a scratch key keeps its prefix between calls)
  const prefixes = [Buffer.from('s\u0000'), Buffer.from('other\u0000')];
  const prefixOf = (i: number) => prefixes[i % 2 === 0 || records[i]![1] === null ? 0 : 1]!;
  const batch = new FastBatch(db);
  ranges.forEach(([ks, kl, vs, vl], i) => {
    if (vl < 0) batch.delBytes(prefixOf(i), bytes, ks, kl);
    else batch.putBytes(prefixOf(i), bytes, ks, kl, vs, vl);
  });
  await batch.write();
  const stored = new Map((await db.iterator().all()).map(([k, v]) => [k, v.toString()]));
  const expected = new Map<string, string>();
  records.forEach(([k, v], i) => {
    const key = prefixOf(i).toString() + k;
    if (v === null) expected.delete(key);
    else expected.set(key, v);
  });
  assert.deepEqual(stored, expected);
  await db.close();
});
