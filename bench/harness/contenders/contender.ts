// What the harness needs from a contender: launch one process for one run, and (for the restore scenario)
// tell when that process has restored its state and is ready.
import type { Measured } from '../process.ts';

/** groupby: (a) orders → sum(amount) per customerId. join: (b) orders ⋈ customers on customerId.
 * table: (c) one row per input key, the store whose changelog is restored. windowed-count: (f) orders →
 * count per customerId and 1-minute window. stream-join: (g) orders ⋈ payments by orderId within 10 min. */
export type Workload = 'groupby' | 'join' | 'table' | 'windowed-count' | 'stream-join';

export interface RunRequest {
  workload: Workload;
  exactlyOnce: boolean;
  /** Application id / consumer group: fresh per processing run, reused by the restore runs. */
  appId: string;
  brokers: string[];
  /** groupby/table/windowed-count: [events]; join: [orders, customers]; stream-join: [orders, payments]. */
  inputs: string[];
  /** Output topic, created by the harness (absent for the raw ceiling). */
  output: string;
  stateDir: string;
  /** Where this run's config and log files go. */
  runDir: string;
  partitions: number;
  /** Restore runs: the process must report when its stores are restored. */
  expectRestore: boolean;
  /** Memory settings for streamfold's stores ((i)); Kafka Streams keeps its RocksDB defaults. */
  stateMemory?: StateMemory;
}

/** streamfold's `state.cacheRows`, `state.maxUncommittedRows` and `state.leveldb` (docs/stores.md, "Memory bounds"), and its Node heap. */
export interface StateMemory {
  cacheRows: number;
  /** Unset: streamfold's default (20 000). */
  maxUncommittedRows?: number;
  blockCacheBytes: number;
  writeBufferBytes: number;
  /** V8's old-space limit of the streamfold process (`node --max-old-space-size`), MiB. */
  nodeHeapMiB: number;
  /** V8's young-generation semi-space limit (`node --max-semi-space-size`), MiB; unset: V8's own. */
  nodeSemiSpaceMiB?: number;
  /** `state.restoreBatchBytes`; unset: streamfold's default (4 MiB). */
  restoreBatchBytes?: number;
  /** A container-like memory limit on the streamfold process (memory-limit.ts), MiB; unset: none. */
  limitMiB?: number;
}

/** The node flags that bound the streamfold process's heap under `m`: launched with them, and printed in the report. */
export function heapFlags(m: StateMemory): string[] {
  return [
    `--max-old-space-size=${m.nodeHeapMiB}`,
    ...(m.nodeSemiSpaceMiB ? [`--max-semi-space-size=${m.nodeSemiSpaceMiB}`] : []),
  ];
}

export interface Launched {
  proc: Measured;
  groupId: string;
  /** Outputs to watch for the completion rule. */
  outputs: string[];
  /** Resolves when the process reports it is running (after restoring, for restore runs). */
  ready: Promise<{ at: number; restoredRecords?: number; restoreMs?: number }>;
}

export interface Contender {
  name: string;
  /** Undefined when the contender can run; otherwise why not (reported as "not run: <reason>"). */
  prepare(): Promise<string | undefined>;
  supports(workload: Workload): boolean;
  launch(req: RunRequest): Launched;
  /** Every setting that decides fairness, printed with the results. */
  settings(): Record<string, string>;
  /**
   * Processing is timed from when the process reports itself running, not from its first offset
   * commit: for a contender that commits rarely (every 30 s), the first commit may come after the
   * work is done, and timing from it would leave the work out.
   */
  timedFromReady?: boolean;
}

/** A promise resolved by the first line that `match` turns into a value. */
export function firstLine<T>(
  proc: Measured,
  match: (line: string) => T | undefined,
): Promise<{ at: number } & T> {
  return new Promise((resolve) => {
    let done = false;
    proc.onLine((line, at) => {
      if (done) return;
      const value = match(line);
      if (value !== undefined) {
        done = true;
        resolve({ at, ...value });
      }
    });
  });
}

/** Parses a `{"event": ...}` line printed by a peer process. */
export function eventLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{"event"')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
