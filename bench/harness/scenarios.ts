// The scenarios of issue 8 and their sizes: full (`npm run bench`) and quick (`--quick`, the smoke mode).
import type { StateMemory, Workload } from './contenders/contender.ts';

export type ScenarioId = 'a-alos' | 'a-eos' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'cmd';

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** Scenarios of one family share the same generated input. */
  family: 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'cmd';
  kind: 'process' | 'restore' | 'http' | 'latency' | 'view' | 'commands' | 'large-state';
  workload: Workload;
  exactlyOnce: boolean;
  /** Report the state left after the run (windowed scenarios, where retention bounds it). */
  measureState?: boolean;
  /** streamfold's store memory settings for this scenario (absent: its defaults). */
  stateMemory?: StateMemory;
}

/**
 * (i)'s memory settings for streamfold, stated in the report (docs/stores.md, "Memory bounds"): per store
 * and task, the clean rows cached; per task database, LevelDB's block cache and write buffer; the process's
 * V8 heap limit (Kafka Streams' JVM has its -Xmx of (a) likewise). Kafka Streams
 * runs its RocksDB at its defaults (KAFKA_STREAMS_ROCKSDB_DEFAULTS).
 */
export const LARGE_STATE_MEMORY: StateMemory = largeStateMemory(process.env.BENCH_LARGE_MEMORY);

/**
 * The defaults above, or what `BENCH_LARGE_MEMORY` sets of them, e.g.
 * `cacheRows=10000,maxUncommittedRows=5000,blockCacheMiB=2,writeBufferMiB=2,heapMiB=128,semiSpaceMiB=8` (to find what bounds RSS);
 * `limitMiB=400` runs the streamfold process under that memory limit, as a container would (memory-limit.ts).
 */
function largeStateMemory(given: string | undefined): StateMemory {
  const m: StateMemory = {
    cacheRows: 10_000,
    blockCacheBytes: 8 * 2 ** 20,
    writeBufferBytes: 4 * 2 ** 20,
    // V8 grows its heap lazily towards its default limit (a few GiB here) while garbage is cheap to leave:
    // 562 MiB RSS at 200k keys without a limit, 260 MiB with 128 MiB, the output correct either way
    nodeHeapMiB: 256,
    // With the old space capped, V8's young generation (up to 64 MiB per semi-space here) made it collect the
    // old space every ~0.2 s at 1M keys; 16 MiB cut its GC threads' CPU from 92 to 20 s (docs/stores.md)
    nodeSemiSpaceMiB: 16,
  };
  const set: Record<string, (n: number) => void> = {
    cacheRows: (n) => (m.cacheRows = n),
    maxUncommittedRows: (n) => (m.maxUncommittedRows = n),
    blockCacheMiB: (n) => (m.blockCacheBytes = n * 2 ** 20),
    writeBufferMiB: (n) => (m.writeBufferBytes = n * 2 ** 20),
    heapMiB: (n) => (m.nodeHeapMiB = n),
    semiSpaceMiB: (n) => (m.nodeSemiSpaceMiB = n),
    limitMiB: (n) => (m.limitMiB = n),
    restoreBatchKiB: (n) => (m.restoreBatchBytes = n * 1024),
  };
  for (const part of given?.split(',').filter(Boolean) ?? []) {
    const [name = '', value = ''] = part.split('=');
    const n = Number(value);
    if (!set[name] || !Number.isSafeInteger(n) || n < 1)
      throw new Error(
        `BENCH_LARGE_MEMORY: "${part}" is not one of ${Object.keys(set).join(', ')} = a positive integer`,
      );
    set[name](n);
  }
  return m;
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'a-alos',
    family: 'a',
    kind: 'process',
    workload: 'groupby',
    exactlyOnce: false,
    title: '(a) group-by-sum, at-least-once',
  },
  {
    id: 'a-eos',
    family: 'a',
    kind: 'process',
    workload: 'groupby',
    exactlyOnce: true,
    title: '(a) group-by-sum, exactly-once',
  },
  {
    id: 'b',
    family: 'b',
    kind: 'process',
    workload: 'join',
    exactlyOnce: false,
    title: '(b) FK join orders × customers, at-least-once',
  },
  {
    id: 'c',
    family: 'c',
    kind: 'restore',
    workload: 'table',
    exactlyOnce: false,
    title: '(c) cold restore of a store from its changelog',
  },
  { id: 'd', family: 'd', kind: 'http', workload: 'table', exactlyOnce: false, title: '(d) HTTP get-by-key' },
  {
    id: 'e',
    family: 'e',
    kind: 'latency',
    workload: 'groupby',
    exactlyOnce: false,
    title: '(e) end-to-end latency, group-by-sum at a fixed rate, at-least-once',
  },
  {
    id: 'f',
    family: 'f',
    kind: 'process',
    workload: 'windowed-count',
    exactlyOnce: false,
    measureState: true,
    title: '(f) 1-minute tumbling count per customer, at-least-once',
  },
  {
    id: 'g',
    family: 'g',
    kind: 'process',
    workload: 'stream-join',
    exactlyOnce: false,
    measureState: true,
    title: '(g) stream–stream join orders × payments within 10 min, at-least-once',
  },
  {
    // its pipelines are its own (bench/harness/views/): streamfold's views and Kafka Connect's JDBC sink
    id: 'h',
    family: 'h',
    kind: 'view',
    workload: 'groupby',
    exactlyOnce: true,
    title: "(h) (a)'s output kept in PostgreSQL: 1M updates of 20k rows",
  },
  {
    // processing, RSS over time, state on disk, then a restore from the changelog (bench/harness/large-state.ts)
    id: 'i',
    family: 'i',
    kind: 'large-state',
    workload: 'table',
    exactlyOnce: false,
    title: '(i) sum per key over many distinct keys, bounded memory, at-least-once',
    stateMemory: LARGE_STATE_MEMORY,
  },
  {
    id: 'cmd',
    family: 'cmd',
    kind: 'commands',
    workload: 'table',
    exactlyOnce: true,
    title: '(cmd) commands: POST /commands/{name}, exactly-once, 1, 16 and 64 clients',
  },
];

/**
 * The windows of (f) and (g), the same on both contenders. Event times are `placedAt`/`paidAt` in the values.
 * Grace covers how far apart in event time a contender may read its inputs: (f) re-keys through a
 * repartition topic filled by 6 tasks, (g) reads two topics; neither contender orders its input across
 * partitions perfectly, and a record later than grace would be dropped (and the output check fail). It is
 * still far shorter than the input's span, so windows close and leave the stores while the input is read.
 */
export const WINDOWS = {
  /** (f) tumbling 1 min, grace 2 min, retention size + grace (streamfold's default; set on Kafka Streams). */
  countSizeMs: 60_000,
  countGraceMs: 120_000,
  /** (g) within 10 min before and after, grace 15 min: each side keeps 35 min of its records. */
  joinWithinMs: 600_000,
  joinGraceMs: 900_000,
  /** (g) orders are this far apart in event time: 500k orders span about 83 minutes. */
  joinSpacingMs: 10,
};

export interface Sizes {
  groupByEvents: number;
  groupByCustomers: number;
  joinOrders: number;
  joinCustomers: number;
  restoreKeys: number;
  /** (g): orders, and as many payments. (f) reads the input of (a). */
  streamJoinOrders: number;
  /** (e): orders per second, for this many seconds, after a warm-up of latencyWarmup orders. */
  latencyRate: number;
  latencySeconds: number;
  latencyWarmup: number;
  /** (i): distinct keys, and events per key (every key gets this many, round-robin over the keys). */
  largeKeys: number;
  largeEventsPerKey: number;
  repetitions: number;
  /** Upper bound for one processing or restore run before it counts as failed. */
  runTimeoutMs: number;
}

export const FULL: Sizes = {
  groupByEvents: 1_000_000,
  groupByCustomers: 20_000,
  joinOrders: 200_000,
  joinCustomers: 20_000,
  restoreKeys: 1_000_000,
  streamJoinOrders: 500_000,
  latencyRate: 5_000,
  latencySeconds: 30,
  latencyWarmup: 1_000,
  largeKeys: 1_000_000,
  largeEventsPerKey: 3,
  repetitions: 3,
  runTimeoutMs: 15 * 60_000,
};

export const QUICK: Sizes = {
  groupByEvents: 10_000,
  groupByCustomers: 1_000,
  joinOrders: 5_000,
  joinCustomers: 500,
  restoreKeys: 10_000,
  streamJoinOrders: 5_000,
  latencyRate: 1_000,
  latencySeconds: 4,
  latencyWarmup: 200,
  largeKeys: 2_000,
  largeEventsPerKey: 3,
  repetitions: 1,
  runTimeoutMs: 3 * 60_000,
};

/** Kafka Streams 4.3.1's RocksDBStore constants (per store and task; read from its class file). */
export const KAFKA_STREAMS_ROCKSDB_DEFAULTS =
  'per store and task: block cache 50 MiB (LRU), write buffer 16 MiB, up to 3 write buffers, 4 KiB blocks, Bloom filter, no compression, universal compaction';

/** (i): a run may take this long before it counts as failed (at least 2 000 events/s, or the usual bound). */
export const largeRunTimeoutMs = (s: Sizes) =>
  Math.max(s.runTimeoutMs, ((s.largeKeys * s.largeEventsPerKey) / 2_000) * 1000);

export const PARTITIONS = 6;
export const SEED = 20_261_123;
