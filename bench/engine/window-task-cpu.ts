// CPU per record of the windowed operators over the runtime's real state stores: the inputs of
// window-store-writes.ts ((f) and (g), one task's share, deterministic) run through the pure executor,
// whose stores are a task's write cache over LevelDB (runtime/stores), with a full commit (encode,
// LevelDB batch, cache bookkeeping) every COMMIT_EVERY records. No Kafka and no input decoding: what it
// measures is the operators, the write cache, the value codec and LevelDB, the part of a bench run's
// processing path that is streamfold's own. CPU time (user + system) rather than wall time, so a busy
// machine inflates it less; still, compare figures from one run. The LevelDB reads per record (the
// write cache's misses: getSync calls, and how many found a value) do not depend on the machine.
//
//   npm run bench:window-cpu [-- --events 166000 --commit 80 --cache-rows 10000 --reps 3 --only '(f)']
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { compileTopology } from '../../projections/graph/compile.ts';
import { Executor } from '../../projections/graph/executor.ts';
import { Definition } from '../../projections/definition/schema.ts';
import type { KeyValueStore, MemoryStoreProvider } from '../../projections/store.ts';
import { ClassicLevel } from 'classic-level';
import { TaskStores } from '../../runtime/stores/index.ts';
import { numberArg } from '../number-arg.ts';
import { join, joinInput, tumbling, tumblingInput, unwindowed } from './window-inputs.ts';

const EVENTS = numberArg('events', 166_000);
const COMMIT_EVERY = numberArg('commit', 80);
const CACHE_ROWS = numberArg('cache-rows', 10_000);
const REPS = numberArg('reps', 3);
/** `--only <label prefix>`: one input only (e.g. to profile it). */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

/** Counts LevelDB point reads (the write cache's misses). */
const reads = { calls: 0, found: 0 };
type GetSync = (this: unknown, key: string) => Buffer | undefined;
const proto = ClassicLevel.prototype as unknown as { getSync: GetSync };
const getSync: GetSync = Reflect.get(proto, 'getSync');
proto.getSync = function (this: unknown, key: string) {
  const value = getSync.call(this, key);
  reads.calls++;
  if (value !== undefined) reads.found++;
  return value;
};

interface Input {
  topic: string;
  key: string;
  value: object;
  timestamp: number;
}

/** One run on a fresh task database: CPU µs per input record. */
async function measure(definition: unknown, input: readonly Input[]): Promise<number> {
  const dir = await mkdtemp(joinPath(tmpdir(), 'streamfold-window-cpu-'));
  try {
    const stores = await TaskStores.open({
      location: dir,
      changelogOf: (store) => ({ topic: `bench-${store}-changelog`, partition: 0 }),
      memory: { cacheRows: CACHE_ROWS },
    });
    const ex = new Executor(compileTopology(Definition.parse(definition)), { collect: false });
    (ex.stores as MemoryStoreProvider).store = <V>(name: string): KeyValueStore<V> => stores.store<V>(name);
    const offsets = new Map<string, number>();
    const commit = async () => {
      const prepared = stores.prepareCommit();
      for (const r of prepared.records) {
        const tp = `${r.topic}:${r.partition}`;
        offsets.set(tp, (offsets.get(tp) ?? 0) + 1);
      }
      await stores.completeCommit(prepared, offsets);
    };
    reads.calls = reads.found = 0;
    const start = process.cpuUsage();
    let n = 0;
    for (const r of input) {
      ex.process(r);
      if (++n % COMMIT_EVERY === 0) await commit();
    }
    await commit();
    const used = process.cpuUsage(start);
    await stores.close();
    return (used.user + used.system) / input.length;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const [label, definition, input] of [
  ['(f) tumbling count', tumbling, [...tumblingInput(EVENTS)]],
  ['(f) without the window (control)', unwindowed, [...tumblingInput(EVENTS)]],
  ['(g) stream–stream join', join, [...joinInput(EVENTS)]],
] as const) {
  if (ONLY && !label.startsWith(ONLY)) continue;
  const runs: number[] = [];
  for (let i = 0; i < REPS; i++) runs.push(await measure(definition, input));
  const us = median(runs);
  const per = (n: number) => (n / input.length).toFixed(3);
  console.log(
    `${label}: ${input.length} records, ${us.toFixed(2)} CPU µs/record (median of ${REPS}: ${runs.map((r) => r.toFixed(2)).join(', ')}), ` +
      `${Math.round(1e6 / us / 1000)}k records per CPU second; LevelDB reads per record ${per(reads.calls)} (${per(reads.found)} found a value)`,
  );
}
