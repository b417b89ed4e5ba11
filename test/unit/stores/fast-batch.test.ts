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
