// Catches a task's stores up with their changelogs before the task processes input.
//
// For each store: start at its checkpoint, or wipe it and start at the changelog's first offset
// when the checkpoint is missing, from another partition, below the log start (records deleted)
// or beyond the end (the changelog was recreated). Then read to the end offset taken at the start
// and write each fetched chunk as one LevelDB batch together with the new checkpoint, so a
// restore that is interrupted resumes where it stopped. Records go from the fetch response into
// the batch one at a time, never all together as objects (FetchedPartition.eachRawRecord). Records
// bypass the write cache: the changelog value bytes are the LevelDB value bytes.
import type { TaskStores } from '../../stores/task-stores.ts';
import { type TopicPartition, topicPartitionKey } from '../../stores/checkpoint.ts';
import type { ChangelogSource, OffsetRange } from './changelog-source.ts';

export interface RestoreProgress extends TopicPartition {
  store: string;
  /** Records applied so far. */
  restored: number;
  /** Offsets to cover (end - start): an upper bound, compaction leaves gaps. */
  total: number;
  done: boolean;
}

export interface StoreRestoreResult extends TopicPartition {
  store: string;
  from: number;
  to: number;
  restored: number;
  /** True when the local state was wiped and rebuilt from the changelog's first offset. */
  rebuilt: boolean;
  reason: 'checkpoint' | 'no-checkpoint' | 'checkpoint-below-log-start' | 'checkpoint-beyond-end';
}

export interface RestoreSummary {
  stores: StoreRestoreResult[];
  records: number;
  ms: number;
}

export interface RestoreOptions {
  stores: TaskStores;
  /** The stores to restore (each backed by its changelog partition, see TaskStores.changelogOf). */
  names: string[];
  source: ChangelogSource;
  /** Called after every applied chunk and once at the end. */
  onProgress?: (progress: RestoreProgress[]) => void;
  signal?: AbortSignal;
}

interface Cursor extends RestoreProgress {
  position: number;
  end: number;
}

export async function restoreStores(options: RestoreOptions): Promise<RestoreSummary> {
  const started = performance.now();
  const { stores, source } = options;
  const tps = options.names.map((name) => ({ name, tp: stores.changelogOf(name) }));
  const ranges = await source.offsets(tps.map((t) => t.tp));

  const results: StoreRestoreResult[] = [];
  const cursors: Cursor[] = [];
  for (const { name, tp } of tps) {
    const range = ranges.get(topicPartitionKey(tp));
    if (!range) throw new Error(`changelog ${tp.topic} partition ${tp.partition} does not exist`);
    const { from, reason } = await startOffset(stores, name, range);
    results.push({
      store: name,
      ...tp,
      from,
      to: range.end,
      restored: 0,
      rebuilt: reason !== 'checkpoint',
      reason,
    });
    if (from < range.end) {
      cursors.push({
        store: name,
        ...tp,
        position: from,
        end: range.end,
        restored: 0,
        total: range.end - from,
        done: false,
      });
    } else if (stores.checkpoint(name)?.offset !== range.end) {
      // Nothing to read, but record where this store stands so the next start skips the wipe.
      await stores.applyRestored(name, [], range.end);
    }
  }

  const progress = () => options.onProgress?.(cursors.map(({ position: _p, end: _e, ...p }) => ({ ...p })));
  let writing: Promise<void> = Promise.resolve();
  try {
    while (cursors.some((c) => !c.done)) {
      options.signal?.throwIfAborted();
      const active = cursors.filter((c) => !c.done);
      const fetched = await source.fetch(
        active.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.position })),
      );
      // The previous chunk's LevelDB write overlapped with this fetch; finish it before the next.
      await writing;
      const writes: Array<Promise<void>> = [];
      for (const part of fetched) {
        const c = active.find((a) => a.topic === part.topic && a.partition === part.partition);
        if (!c) continue;
        // Each record in range goes into the store's batch as it is read (no object per record).
        const batch = stores.restoreBatch(c.store);
        const { position: from, end } = c;
        let rows = 0;
        if (part.eachRawRecord)
          part.eachRawRecord((bytes, keyStart, keyLength, valueStart, valueLength, offset) => {
            if (offset < from || offset >= end) return;
            batch.addBytes(bytes, keyStart, keyLength, valueStart, valueLength);
            rows++;
          });
        else
          for (const r of part.records) {
            if (r.offset < from || r.offset >= end) continue;
            batch.add(r.key, r.value);
            rows++;
          }
        const next = part.endOfLog ? end : Math.min(Math.max(part.nextOffset, from), end);
        c.position = next;
        c.restored += rows;
        c.done = next >= end;
        if (rows > 0 || c.done) writes.push(batch.write(next));
        else writes.push(batch.discard());
      }
      writing = Promise.all(writes).then(progress);
      // Awaited after the next fetch; until then a failure must not count as unhandled.
      writing.catch(() => undefined);
    }
    await writing;
  } finally {
    // Never leave a LevelDB write running behind an error (the caller may close the database).
    await writing.catch(() => undefined);
  }
  progress();

  let records = 0;
  for (const r of results) {
    const c = cursors.find((x) => x.store === r.store);
    r.restored = c?.restored ?? 0;
    records += r.restored;
  }
  return { stores: results, records, ms: performance.now() - started };
}

async function startOffset(
  stores: TaskStores,
  name: string,
  range: OffsetRange,
): Promise<{ from: number; reason: StoreRestoreResult['reason'] }> {
  const cp = stores.checkpoint(name);
  let reason: StoreRestoreResult['reason'];
  if (!cp) reason = 'no-checkpoint';
  else if (cp.offset < range.earliest) reason = 'checkpoint-below-log-start';
  else if (cp.offset > range.end) reason = 'checkpoint-beyond-end';
  else return { from: cp.offset, reason: 'checkpoint' };
  // Rows without a trustworthy checkpoint may include keys whose tombstones were compacted away.
  await stores.clearStore(name);
  return { from: range.earliest, reason };
}
