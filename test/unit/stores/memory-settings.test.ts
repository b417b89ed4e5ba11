// The definition's `state` memory settings reach LevelDB: a small write buffer makes LevelDB flush
// its memtable to table files early (a buffer of the default size holds the same writes in memory
// and its log), and `storeMemorySettings` maps the definition's names.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { restoreFetchBytes, storeMemorySettings } from '../../../runtime/stores/index.ts';
import { acknowledged, openStores, tempDir } from './helpers.ts';

/** Table files LevelDB has written (memtables flushed), in a task database's directory. */
const tableFiles = (location: string) => readdirSync(location).filter((f) => f.endsWith('.ldb')).length;

async function writeMiB(
  location: string,
  memory: Parameters<typeof openStores>[1],
  commits = 20,
): Promise<number> {
  const stores = await openStores(location, memory);
  const s = stores.store<string>('rows');
  const value = 'x'.repeat(1_000);
  // commits of 100 KB: LevelDB makes room (flushes a full memtable) before a write, not after.
  let offsets = new Map<string, number>();
  for (let commit = 0; commit < commits; commit++) {
    for (let i = 0; i < 100; i++) s.put(`k${commit}-${i}`, `${value}${i}`);
    const c = stores.prepareCommit();
    offsets = acknowledged(c.records, offsets);
    await stores.completeCommit(c, offsets);
  }
  // Compaction runs in LevelDB's background thread: give the flush a moment.
  await new Promise((r) => setTimeout(r, 300));
  const files = tableFiles(location);
  await stores.close();
  return files;
}

describe('state memory settings', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('maps the definition', () => {
    assert.deepEqual(
      storeMemorySettings({ cacheRows: 5, leveldb: { blockCacheBytes: 1, writeBufferBytes: 65_536 } }),
      {
        cacheRows: 5,
        blockCacheBytes: 1,
        writeBufferBytes: 65_536,
      },
    );
    assert.deepEqual(storeMemorySettings(undefined), {
      cacheRows: undefined,
      blockCacheBytes: undefined,
      writeBufferBytes: undefined,
    });
  });

  it('a restore batch is state.restoreBatchBytes, 4 MiB when unset', () => {
    assert.equal(restoreFetchBytes(undefined), 4 * 2 ** 20);
    assert.equal(
      restoreFetchBytes(storeMemorySettings({ leveldb: { writeBufferBytes: 65_536 } })),
      4 * 2 ** 20,
    );
    assert.equal(restoreFetchBytes(storeMemorySettings({ restoreBatchBytes: 2 ** 20 })), 2 ** 20);
  });

  it('a small write buffer reaches LevelDB: 2 MB of writes are flushed to table files', async () => {
    const small = await writeMiB(`${dir}/small`, { memory: { writeBufferBytes: 64 * 1024 } });
    const defaults = await writeMiB(`${dir}/default`, {});
    assert.equal(defaults, 0, 'the default buffer holds 2 MB without a table file');
    assert.ok(small > 0, `a 64 KiB buffer flushed ${small} table files`);
  });

  it('the default write buffer is 16 MiB, not LevelDB’s 4 MiB: 8 MB of writes stay in memory', async () => {
    const defaults = await writeMiB(`${dir}/default-8mb`, {}, 80);
    const leveldbs = await writeMiB(`${dir}/leveldb-8mb`, { memory: { writeBufferBytes: 4 * 2 ** 20 } }, 80);
    assert.equal(defaults, 0, `the default buffer flushed ${defaults} table files`);
    assert.ok(leveldbs > 0, `a 4 MiB buffer flushed ${leveldbs} table files`);
  });
});
