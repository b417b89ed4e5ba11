// All state of one task (one input partition): a LevelDB database in its own directory, with a
// key space per named store (see key-spaces.ts). It is the engine's StoreProvider.
//
// The commit protocol keeps LevelDB equal to a prefix of the changelog:
//   1. prepareCommit()  → one changelog record per changed key (latest value or tombstone);
//   2. the caller writes them to Kafka (and, under exactly-once, commits the transaction);
//   3. completeCommit() → ONE atomic LevelDB batch: the state changes plus every touched store's
//      checkpoint (the changelog offset after its last acknowledged record).
// A crash between 2 and 3 loses nothing: the restore replays the changelog from the checkpoint.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { KeyValueStore, StoreProvider } from '../../projections/store.ts';
import { CachedStore, type StateDb } from './cached-store.ts';
import { forgetOffsetSum, leaveOffsetSum } from './local-state.ts';
import { FastBatch } from './fast-batch.ts';
import {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  type TopicPartition,
  topicPartitionKey,
} from './checkpoint.ts';
import {
  assertStoreName,
  CHECKPOINT_END,
  CHECKPOINT_PREFIX,
  checkpointKey,
  dataEnd,
  dataPrefix,
  LAYOUT_KEY,
  LAYOUT_VERSION,
} from './key-spaces.ts';

export interface TaskStoresOptions {
  /** Directory of this task's database (see stateDirectory()). */
  location: string;
  /** The changelog partition that backs each store. */
  changelogOf: (store: string) => TopicPartition;
  /** Memory settings (the definition's `state`); defaults when absent. */
  memory?: StoreMemorySettings;
}

/** What bounds a task database's memory (docs/stores.md, "Memory"). */
export interface StoreMemorySettings {
  /** Clean rows cached per store (default 10 000). */
  cacheRows?: number;
  /** LevelDB block cache (default 8 MiB, LevelDB's own). */
  blockCacheBytes?: number;
  /** LevelDB write buffer (default DEFAULT_WRITE_BUFFER_BYTES). */
  writeBufferBytes?: number;
  /** Changelog bytes per restore fetch and LevelDB batch (default DEFAULT_RESTORE_BATCH_BYTES). */
  restoreBatchBytes?: number;
}

export const DEFAULT_CACHE_ROWS = 10_000;

/**
 * LevelDB's write buffer when `state.leveldb.writeBufferBytes` is not set: RocksDB's (Kafka
 * Streams') 16 MiB rather than LevelDB's 4 MiB. Keys that live shorter than a memtable takes to
 * fill (join buffers, windows past retention) are then put and deleted in memory and never
 * compacted: (g) spent 10–19% less CPU (docs/stores.md, "Memory bounds").
 */
export const DEFAULT_WRITE_BUFFER_BYTES = 16 * 1024 * 1024;

/** The definition's memory settings for task databases. */
export function storeMemorySettings(
  state:
    | {
        cacheRows?: number;
        restoreBatchBytes?: number;
        leveldb?: { blockCacheBytes?: number; writeBufferBytes?: number };
      }
    | undefined,
): StoreMemorySettings {
  return {
    cacheRows: state?.cacheRows,
    blockCacheBytes: state?.leveldb?.blockCacheBytes,
    writeBufferBytes: state?.leveldb?.writeBufferBytes,
    ...(state?.restoreBatchBytes !== undefined ? { restoreBatchBytes: state.restoreBatchBytes } : {}),
  };
}

/** A restore's batch when `state.restoreBatchBytes` is not set: the faster of those measured. */
export const DEFAULT_RESTORE_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Bytes of changelog a restore takes per fetch and writes as one LevelDB batch. Every restoring task
 * holds about one fetch, one batch being written and a memtable grown by a whole batch at once, so
 * smaller batches bound a restore's memory and larger ones restore faster (docs/stores.md).
 */
export function restoreFetchBytes(memory: StoreMemorySettings | undefined): number {
  return memory?.restoreBatchBytes ?? DEFAULT_RESTORE_BATCH_BYTES;
}

function levelOptions(memory: StoreMemorySettings | undefined) {
  return {
    keyEncoding: 'utf8' as const,
    valueEncoding: 'buffer' as const,
    ...(memory?.blockCacheBytes !== undefined ? { cacheSize: memory.blockCacheBytes } : {}),
    writeBufferSize: memory?.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES,
  };
}

/** A record for a store's changelog: the store key and its encoded value, or null (tombstone). */
export interface ChangelogRecord extends TopicPartition {
  store: string;
  key: string;
  value: Buffer | null;
}

export interface PreparedCommit {
  readonly records: ChangelogRecord[];
}

/** Restored changelog records on their way into one store's LevelDB key space (TaskStores.restoreBatch). */
export interface RestoreBatch {
  /** Adds one changelog record: a null value deletes the row, a null key is skipped. */
  add(key: string | null, value: Buffer | null): void;
  /** add(), from byte ranges of a fetch response (RawRecordVisitor): length -1 is null. */
  addBytes(bytes: Buffer, keyStart: number, keyLength: number, valueStart: number, valueLength: number): void;
  /** Writes the records with the store's checkpoint `nextOffset`, in one LevelDB batch. */
  write(nextOffset: number): Promise<void>;
  /** Drops the batch unwritten. */
  discard(): Promise<void>;
}

/** Why the database was opened empty although its directory existed. */
export type OpenOutcome = 'opened' | 'created' | 'recreated';

export class TaskStores implements StoreProvider {
  private readonly stores = new Map<string, CachedStore<any>>();
  private readonly checkpoints = new Map<string, Checkpoint>();
  private prepared: { commit: PreparedCommit; stores: CachedStore<any>[] } | null = null;
  private closed = false;

  private constructor(
    private readonly db: StateDb,
    private readonly options: TaskStoresOptions,
    /** How the database came to be: `recreated` when it was unreadable and got wiped. */
    readonly openOutcome: OpenOutcome,
  ) {}

  /**
   * Opens (or creates) the task's database. A database that cannot be opened for any reason but
   * a lock held by another process is wiped and recreated empty: every store then lacks a
   * checkpoint and is rebuilt from offset 0 of its changelog.
   */
  static async open(options: TaskStoresOptions): Promise<TaskStores> {
    await mkdir(options.location, { recursive: true });
    let db = new ClassicLevel<string, Buffer>(options.location, levelOptions(options.memory));
    let outcome: OpenOutcome = 'opened';
    try {
      await db.open();
      const layout = db.getSync(LAYOUT_KEY);
      if (layout === undefined) outcome = (await isEmpty(db)) ? 'created' : 'recreated';
      else if (layout.toString('utf8') !== LAYOUT_VERSION) outcome = 'recreated';
    } catch (err) {
      if (isLocked(err))
        throw new Error(`state directory ${options.location} is in use by another process`, { cause: err });
      outcome = 'recreated';
    }
    if (outcome === 'recreated') {
      await db.close().catch(() => undefined);
      await rm(options.location, { recursive: true, force: true });
      await mkdir(options.location, { recursive: true });
      db = new ClassicLevel<string, Buffer>(options.location, levelOptions(options.memory));
      await db.open();
    }
    if (outcome !== 'opened') await db.put(LAYOUT_KEY, Buffer.from(LAYOUT_VERSION));
    // From here on the database moves past what the offsets file says.
    await forgetOffsetSum(options.location);
    const stores = new TaskStores(db, options, outcome);
    await stores.loadCheckpoints();
    return stores;
  }

  store<V = unknown>(name: string): KeyValueStore<V> {
    return this.cachedStore<V>(name);
  }

  /** Names of the stores opened so far or holding a checkpoint. */
  storeNames(): string[] {
    return [...new Set([...this.stores.keys(), ...this.checkpoints.keys()])].sort();
  }

  /**
   * The store's checkpoint, or undefined when it has none or it belongs to another changelog
   * partition than the store's current one (renamed application, changed partitioning).
   */
  checkpoint(store: string): Checkpoint | undefined {
    const cp = this.checkpoints.get(store);
    if (!cp) return undefined;
    const tp = this.options.changelogOf(store);
    return cp.topic === tp.topic && cp.partition === tp.partition ? cp : undefined;
  }

  changelogOf(store: string): TopicPartition {
    return this.options.changelogOf(store);
  }

  /** Rows changed since the last prepareCommit, over all stores (a trigger for an early commit). */
  get dirtyCount(): number {
    let n = 0;
    for (const s of this.stores.values()) n += s.dirtyCount;
    return n;
  }

  /** Step 1: the changelog records of every changed key, one per key. */
  prepareCommit(): PreparedCommit {
    this.assertOpen();
    if (this.prepared) throw new Error('a commit is already prepared');
    const records: ChangelogRecord[] = [];
    const touched: CachedStore<any>[] = [];
    for (const s of this.stores.values()) {
      if (s.dirtyCount === 0) continue;
      const tp = this.options.changelogOf(s.name);
      for (const row of s.prepare())
        records.push({
          store: s.name,
          topic: tp.topic,
          partition: tp.partition,
          key: row.key,
          value: row.value,
        });
      touched.push(s);
    }
    const commit: PreparedCommit = { records };
    this.prepared = { commit, stores: touched };
    return commit;
  }

  /**
   * Step 3, once Kafka has the records: one atomic batch with the state and the checkpoints.
   * `nextOffsets` maps `topic:partition` (topicPartitionKey) to the changelog offset after the
   * last acknowledged record; a touched store missing from it keeps its older checkpoint, which
   * is safe (restore replays a little more).
   */
  async completeCommit(commit: PreparedCommit, nextOffsets: ReadonlyMap<string, number>): Promise<void> {
    this.assertOpen();
    if (!this.prepared || this.prepared.commit !== commit)
      throw new Error('completeCommit without a matching prepareCommit');
    const batch = new FastBatch(this.db);
    const newCheckpoints = new Map<string, Checkpoint>();
    for (const s of this.prepared.stores) s.writePending(batch);
    for (const s of this.prepared.stores) {
      const tp = this.options.changelogOf(s.name);
      const offset = nextOffsets.get(topicPartitionKey(tp));
      if (offset !== undefined) {
        const cp = { ...tp, offset };
        batch.put(checkpointKey(s.name), Buffer.from(encodeCheckpoint(cp)));
        newCheckpoints.set(s.name, cp);
      }
    }
    await batch.write();
    for (const s of this.prepared.stores) s.committed();
    for (const [store, cp] of newCheckpoints) this.checkpoints.set(store, cp);
    this.prepared = null;
  }

  /** Drops every change not yet in LevelDB (the Kafka side failed or was aborted). */
  rollback(): void {
    for (const s of this.stores.values()) s.rollback();
    this.prepared = null;
  }

  // ---- Restore: writes that bypass the write cache ----

  /**
   * Writes restored changelog records straight into LevelDB, with the store's new checkpoint in
   * the same batch, so an interrupted restore resumes where it stopped.
   */
  async applyRestored(
    store: string,
    rows: ReadonlyArray<{ key: string | null; value: Buffer | null }>,
    nextOffset: number,
  ): Promise<void> {
    const batch = this.restoreBatch(store);
    for (const r of rows) batch.add(r.key, r.value);
    await batch.write(nextOffset);
  }

  /**
   * A batch of restored changelog records for one store, filled record by record (a restore adds
   * each record as it decodes it) and written with the store's new checkpoint, or discarded.
   */
  restoreBatch(store: string): RestoreBatch {
    this.assertRestorable(store);
    const prefix = dataPrefix(store);
    const prefixBytes = Buffer.from(prefix);
    const batch = new FastBatch(this.db);
    return {
      add(key, value) {
        if (key === null) return; // a changelog record always has a key; skip foreign junk
        if (value === null) batch.del(prefix + key);
        else batch.put(prefix + key, value);
      },
      addBytes(bytes, keyStart, keyLength, valueStart, valueLength) {
        if (keyLength < 0) return;
        if (valueLength < 0) batch.delBytes(prefixBytes, bytes, keyStart, keyLength);
        else batch.putBytes(prefixBytes, bytes, keyStart, keyLength, valueStart, valueLength);
      },
      write: async (nextOffset) => {
        const cp = { ...this.options.changelogOf(store), offset: nextOffset };
        batch.put(checkpointKey(store), Buffer.from(encodeCheckpoint(cp)));
        await batch.write();
        // Again after the write: a standby's store is read while it restores (allowStandby queries),
        // and a row read during the write must not stay cached with its old value.
        this.stores.get(store)?.invalidate();
        this.checkpoints.set(store, cp);
      },
      discard: () => batch.discard(),
    };
  }

  /** Deletes every row and the checkpoint of one store (before a rebuild from offset 0). */
  async clearStore(store: string): Promise<void> {
    this.assertRestorable(store);
    await this.db.clear({ gte: dataPrefix(store), lt: dataEnd(store) });
    await this.db.del(checkpointKey(store));
    this.checkpoints.delete(store);
  }

  // ---- Status ----

  /** Bytes on disk used by one store, as estimated by LevelDB (0 until data is compacted to files). */
  async approximateSize(store: string): Promise<number> {
    this.assertOpen();
    return this.db.approximateSize(dataPrefix(store), dataEnd(store));
  }

  /** Committed rows of one store. Walks the key space: for status pages, not hot paths. */
  async countRows(store: string): Promise<number> {
    this.assertOpen();
    let n = 0;
    const it = this.db.keys({ gte: dataPrefix(store), lt: dataEnd(store) });
    try {
      for (;;) {
        const keys = await it.nextv(1000);
        if (keys.length === 0) return n;
        n += keys.length;
      }
    } finally {
      await it.close();
    }
  }

  /** The sum of the stores' checkpoint offsets: how far along this copy is (the group assignor's hint). */
  offsetSum(): number {
    let sum = 0;
    for (const store of this.checkpoints.keys()) sum += this.checkpoint(store)?.offset ?? 0;
    return sum;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
    await leaveOffsetSum(this.options.location, this.offsetSum());
  }

  /** Closes the database and deletes its directory: the task's state is gone. */
  async destroy(): Promise<void> {
    await this.close();
    await rm(this.options.location, { recursive: true, force: true });
    await forgetOffsetSum(this.options.location);
  }

  private cachedStore<V>(name: string): CachedStore<V> {
    let s = this.stores.get(name);
    if (!s) {
      assertStoreName(name);
      s = new CachedStore<V>(name, this.db, this.options.memory?.cacheRows ?? DEFAULT_CACHE_ROWS);
      this.stores.set(name, s);
    }
    return s as CachedStore<V>;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('task stores are closed');
  }

  private assertRestorable(store: string): void {
    this.assertOpen();
    assertStoreName(store);
    if (this.prepared) throw new Error('cannot restore while a commit is prepared');
    // Restore changes LevelDB behind the cache; the cache must hold nothing it would contradict.
    this.stores.get(store)?.invalidate();
  }

  private async loadCheckpoints(): Promise<void> {
    for await (const [key, value] of this.db.iterator({ gte: CHECKPOINT_PREFIX, lt: CHECKPOINT_END })) {
      const cp = decodeCheckpoint(value.toString('utf8'));
      if (cp) this.checkpoints.set(key.slice(CHECKPOINT_PREFIX.length), cp);
    }
  }
}

/** Where a task's database lives: `<stateDir>/<application>/<task>`. */
export function stateDirectory(stateDir: string, application: string, task: number | string): string {
  return join(stateDir, application, String(task));
}

function isLocked(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED';
}

async function isEmpty(db: StateDb): Promise<boolean> {
  const it = db.keys({ limit: 1 });
  try {
    return (await it.next()) === undefined;
  } finally {
    await it.close();
  }
}
