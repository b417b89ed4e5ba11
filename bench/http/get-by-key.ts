// bench:http: get-by-key latency and throughput of one instance on loopback, with autocannon.
//
//   npm run bench:http                     5 000 req/s held for 10 s, then as fast as it goes
//   npm run bench:http -- --rate 8000 --duration 20 --keys 100000 --store memory|leveldb
//
// The server runs in a child process so the load generator does not share its event loop.
// autocannon's rate limit lets each connection send its per-second quota back to back, then
// pause: with few connections the "held" run measures latency at low concurrency, with many it
// measures bursts. Its latencies have 1 ms resolution: "p99 0 ms" means under 1 ms.
// --store leveldb (default) serves rows committed to a real TaskStores (LevelDB + write cache);
// memory serves a MemoryStateSource (the HTTP layer alone).
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { encodeKey } from '../../projections/keys.ts';
import { MemoryStateSource } from '../../runtime/http/memory-state-source.ts';
import { partitionOfKey } from '../../runtime/http/partitioner.ts';
import { createHttpServer } from '../../runtime/http/server.ts';
import type { StateSource } from '../../runtime/http/state-source.ts';
import {
  plainRow,
  type TaskView,
  TaskStoresStateSource,
} from '../../runtime/http/task-stores-state-source.ts';
import { TaskStores } from '../../runtime/stores/index.ts';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '4' },
    keys: { type: 'string', default: '100000' },
    store: { type: 'string', default: 'leveldb' },
    serve: { type: 'boolean', default: false },
  },
});
const KEYS = Number(args.keys);
const PARTITIONS = 4;
const keyOf = (i: number) => `acct-${i}`;
const rowOf = (i: number) => ({ balance: i * 10, deposits: i % 17, owner: `owner-${i}` });

async function leveldbSource(dir: string): Promise<StateSource> {
  const tasks = new Map<number, TaskView>();
  for (let p = 0; p < PARTITIONS; p++) {
    const stores = await TaskStores.open({
      location: join(dir, String(p)),
      changelogOf: (store) => ({ topic: `${store}-changelog`, partition: p }),
    });
    tasks.set(p, { stores, status: () => ({ position: 0, status: 'running' }) });
  }
  for (let i = 0; i < KEYS; i++) {
    const k = encodeKey(keyOf(i));
    (tasks.get(partitionOfKey(k, PARTITIONS))!.stores as TaskStores)
      .store('bench-balances-rows')
      .put(k, rowOf(i));
  }
  for (const t of tasks.values()) {
    const stores = t.stores as TaskStores;
    const prepared = stores.prepareCommit();
    await stores.completeCommit(prepared, new Map());
  }
  return new TaskStoresStateSource({
    projections: [{ name: 'balances', kind: 'table', rowsStore: 'bench-balances-rows' }],
    partitions: PARTITIONS,
    tasks: () => tasks,
    endpointOf: () => null,
    decodeRow: plainRow,
  });
}

function memorySource(): StateSource {
  const s = new MemoryStateSource({ projections: { balances: {} }, partitions: PARTITIONS });
  for (let i = 0; i < KEYS; i++) s.put('balances', keyOf(i), rowOf(i));
  return s;
}

async function serve(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'streamfold-bench-http-'));
  const source = args.store === 'memory' ? memorySource() : await leveldbSource(dir);
  const server = createHttpServer({ stateSource: source });
  const url = await server.listen();
  process.send!({ url });
  process.on('message', () => {
    void server
      .close()
      .then(() => rm(dir, { recursive: true, force: true }))
      .then(() => process.exit(0));
  });
}

async function run(url: string, rate: number | undefined, rawLatency = false): Promise<autocannon.Result> {
  let n = 0;
  return autocannon({
    url,
    connections: Number(args.connections),
    duration: Number(args.duration),
    ...(rate ? { overallRate: rate, ignoreCoordinatedOmission: rawLatency } : {}),
    requests: [
      {
        method: 'GET',
        // A different key each request, spread over every partition.
        setupRequest: (req) => ({ ...req, path: `/projections/balances/keys/${keyOf((n++ * 7919) % KEYS)}` }),
      },
    ],
  });
}

function report(label: string, r: autocannon.Result): void {
  const ok = r['2xx'];
  const bad = r.non2xx + r.errors + r.timeouts;
  console.log(
    `${label.padEnd(22)} ${r.requests.average.toFixed(0).padStart(6)} req/s   p50 ${r.latency.p50} ms   p99 ${r.latency.p99} ms   max ${r.latency.max} ms   (${ok} ok, ${bad} not ok)`,
  );
}

async function main(): Promise<void> {
  if (args.serve) return serve();
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--serve', '--store', args.store, '--keys', String(KEYS)],
    {
      execArgv: ['--import', 'tsx'],
    },
  );
  const url = await new Promise<string>((resolve) =>
    child.once('message', (m: { url: string }) => resolve(m.url)),
  );
  console.log(
    `get-by-key, ${KEYS} keys in ${args.store}, ${args.connections} connections, ${args.duration} s per run`,
  );
  await run(url, 1000); // warm-up (JIT, caches)
  // With a rate, autocannon corrects for coordinated omission: a response that took n ms also
  // counts for the requests a paced client would have sent meanwhile. Both views are shown.
  report(`held at ${args.rate} req/s`, await run(url, Number(args.rate)));
  report('  same, uncorrected', await run(url, Number(args.rate), true));
  report('as fast as it goes', await run(url, undefined));
  child.send('stop');
}

await main();
