// A standby task: a warm copy of another instance's task stores, kept by tailing their changelog
// partitions (read_committed) into this instance's LevelDB, checkpoints included. It is a restore
// (runtime/kafka/restore/) that never ends: each round reads every store up to the end offsets
// taken when the round began, then the next round starts (after a short pause when nothing was
// new). It lives in the task's own state directory, so when the task becomes active here it
// restores only the records the standby had not read yet.
//
// Owns its stores and its reader while it runs. Must not process input or write to Kafka.
import type { Kafka } from 'kafkajs';
import { changelogTopic } from '../kafka/admin/index.ts';
import { type ChangelogSource, KafkaChangelogSource, restoreStores } from '../kafka/restore/index.ts';
import type { Logger } from '../log/logger.ts';
import { restoreFetchBytes, stateDirectory, type StoreMemorySettings, TaskStores } from '../stores/index.ts';

/** A round that read at least this many records is followed by the next one at once. */
const CATCH_UP_RECORDS = 1_000;

export interface StandbyTaskOptions {
  id: number;
  kafka: Kafka;
  stateDir: string;
  /** Memory bounds of the copy's database, as its active task's. */
  storeMemory?: StoreMemorySettings;
  groupId: string;
  /** The topology's store names. */
  stores: string[];
  logger: Logger;
  wrapChangelogSource?: (source: ChangelogSource) => ChangelogSource;
  /** Pause between rounds once caught up (ms, default 100): the staleness of a caught-up copy. */
  idleMs?: number;
}

export class StandbyTask {
  /** Changelog records behind the end when the latest round began; undefined before the first. */
  lag: number | undefined;
  /** When the latest completed round began: the copy holds every record committed before then. */
  caughtUpAt: number | undefined;
  /** Rounds completed (a warm-up counts as caught up only after one that began after its assignment). */
  rounds = 0;
  /** The stores, once opened (queries with allowStandby read them). */
  stores: TaskStores | null = null;
  private readonly abort = new AbortController();
  private readonly running: Promise<void>;

  constructor(private readonly options: StandbyTaskOptions) {
    this.running = this.run();
  }

  get id(): number {
    return this.options.id;
  }

  /** Milliseconds since the copy was last known caught up (undefined: never yet). */
  stalenessMs(now = Date.now()): number | undefined {
    return this.caughtUpAt === undefined ? undefined : Math.max(0, now - this.caughtUpAt);
  }

  /** Stops tailing and closes the stores (the directory stays: it is the task's state). */
  async close(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { id, logger } = this.options;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.tail(signal);
      } catch (err) {
        if (signal.aborted) break;
        logger.warn({ task: id, err: (err as Error).message }, `standby ${id}: tailing failed; retrying`);
        await sleep(1_000, signal);
      }
    }
  }

  private async tail(signal: AbortSignal): Promise<void> {
    const { id, stateDir, groupId } = this.options;
    const stores = await TaskStores.open({
      location: stateDirectory(stateDir, groupId, id),
      changelogOf: (store) => ({ topic: changelogTopic(store), partition: id }),
      memory: this.options.storeMemory,
    });
    this.stores = stores;
    let source: ChangelogSource | undefined;
    try {
      const reader = await KafkaChangelogSource.connect(this.options.kafka, {
        maxBytesPerPartition: restoreFetchBytes(this.options.storeMemory),
      });
      source = this.options.wrapChangelogSource?.(reader) ?? reader;
      while (!signal.aborted) {
        const began = Date.now();
        const summary = await restoreStores({ stores, names: this.options.stores, source, signal });
        this.lag = summary.stores.reduce((n, s) => n + Math.max(0, s.to - s.from), 0);
        this.caughtUpAt = began;
        this.rounds++;
        // Back to back while catching up; then a round per pause, not a busy loop on each record.
        if (summary.records < CATCH_UP_RECORDS) await sleep(this.options.idleMs ?? 100, signal);
      }
    } finally {
      this.stores = null;
      await source?.close().catch(() => undefined);
      await stores.close();
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
