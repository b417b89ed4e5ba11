// What the window stores write per commit, in the pure engine: the bytes a task's commit would encode
// and send to the changelog, by kind of store key. Deterministic, so it compares store layouts on a
// noisy machine better than a timed run. Inputs are one partition's share of the bench's (f) and (g):
//
//   (f) 1-minute tumbling count, grace 2 min, over orders 1 ms apart in event time (every 6th order of
//       1M, i.e. a 6-partition task) from 20 000 / 6 customers;
//   (g) inner join orders × payments within 10 min, grace 15 min: orders 10 ms apart, each payment a
//       seeded delay in [0, 10 min) later, both sides merged in event-time order.
//
// A simulated commit every 80 records (about one task's records per 100 ms commit in the bench).
//
//   npm run bench:window-writes [-- --events 166000 --commit 80]
import { compileTopology } from '../../projections/graph/compile.ts';
import { Executor } from '../../projections/graph/executor.ts';
import { Definition } from '../../projections/definition/schema.ts';
import type { KeyValueStore, MemoryStoreProvider } from '../../projections/store.ts';
import { numberArg } from '../number-arg.ts';
import { join, joinInput, tumbling, tumblingInput } from './window-inputs.ts';

const EVENTS = numberArg('events', 166_000);
const COMMIT_EVERY = numberArg('commit', 80);

/** The kind of a store key, for the report: window store layout (projections/windows/state.ts) or other. */
function kind(store: string, key: string): string {
  if (key === 'm') return 'meta (m)';
  if (key.startsWith('x\u0000')) return 'window index (x)';
  if (key.startsWith('s\u0000')) return 'session index (s)';
  if (key.startsWith('w\u0000')) return 'windows / buffered records (w)';
  return store.endsWith('-rows') ? 'final rows' : `other (${store.replace(/^bench-/, '')})`;
}

/** Runs the records, committing every COMMIT_EVERY: returns bytes written per commit by key kind. */
function measure(
  definition: unknown,
  records: Iterable<{ topic: string; key: string; value: object; timestamp: number }>,
) {
  const ex = new Executor(compileTopology(Definition.parse(definition)), { collect: false });
  const provider = ex.stores as MemoryStoreProvider;
  const dirty = new Map<string, Set<string>>();
  const inner = provider.store.bind(provider);
  provider.store = <V>(name: string): KeyValueStore<V> => {
    const s = inner<V>(name);
    const touched = dirty.get(name) ?? new Set<string>();
    dirty.set(name, touched);
    return {
      get: (k) => s.get(k),
      put: (k, v) => (touched.add(k), s.put(k, v)),
      delete: (k) => (touched.add(k), s.delete(k)),
      scan: (r) => s.scan(r),
    };
  };
  const bytes = new Map<string, number>();
  let commits = 0;
  let inputBytes = 0;
  const commit = () => {
    commits++;
    for (const [name, keys] of dirty) {
      const s = inner(name);
      for (const k of keys) {
        const v = s.get(k);
        const n = k.length + (v === undefined ? 0 : JSON.stringify(v).length);
        bytes.set(kind(name, k), (bytes.get(kind(name, k)) ?? 0) + n);
      }
      keys.clear();
    }
  };
  let n = 0;
  for (const r of records) {
    inputBytes += JSON.stringify(r.value).length;
    ex.process(r);
    if (++n % COMMIT_EVERY === 0) commit();
  }
  commit();
  const perCommit = (b: number) => `${(b / commits / 1024).toFixed(1)} KB`;
  const rows = [...bytes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, b]) => `  ${k}: ${perCommit(b)}`);
  const state = [...provider.stores.values()].reduce((sum, s) => sum + s.size, 0);
  return [
    `${commits} commits, per commit:`,
    ...rows,
    `  input read: ${perCommit(inputBytes)}`,
    `  keys in the stores at the end: ${state}`,
  ].join('\n');
}

console.log(`(f) tumbling count, ${EVENTS} orders\n${measure(tumbling, tumblingInput(EVENTS))}`);
console.log(`(g) stream–stream join, ${EVENTS} records\n${measure(join, joinInput(EVENTS))}`);
