// streamfold itself: `streamfold run -c <projections.yaml>`, with a projections.yaml generated for the
// workload, a fresh application id per processing run and its own state directory. It runs compiled,
// as deployed (the Dockerfile runs `npm run build`'s output): the sources are compiled once per bench
// into .cache/bench-dist-<pid> (inside the project, so node_modules resolve), never into dist/, which
// bin/streamfold.js would prefer to the sources afterwards. Running through tsx instead would add
// its transpilation (about a second) to every start, which scenario (c) times.
import { execFile } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { underMemoryLimit } from '../memory-limit.ts';
import { benchNode } from '../node.ts';
import { spawnMeasured } from '../process.ts';
import { WINDOWS } from '../scenarios.ts';
import {
  type Contender,
  firstLine,
  heapFlags,
  type Launched,
  type RunRequest,
  type Workload,
} from './contender.ts';

const root = new URL('../../../', import.meta.url).pathname;
// Per bench process: checkouts that share one .cache (and benches running at once) never overwrite
// each other's build; removed when the process exits.
const compiledIn = (checkout: string) =>
  join(checkout, '.cache', `bench-dist-${process.pid}${checkout === root ? '' : '-baseline'}`);
const compiled = compiledIn(root);
/** The compiled CLI of a checkout, with the kafkajs producer patch loaded first (as bin/streamfold.js does). */
const cliArgsOf = (dir: string) => [
  '--import',
  join(dir, 'runtime', 'kafka', 'patches', 'producer', 'index.js'),
  join(dir, 'runtime', 'cli', 'main.js'),
];
export const cliArgs = cliArgsOf(compiled);

/** Compiles once per bench and checkout, however many streamfold variants run. */
const compiling = new Map<string, Promise<void>>();
export const compileOnce = (checkout = root): Promise<void> => {
  let done = compiling.get(checkout);
  if (!done) compiling.set(checkout, (done = compile(checkout, compiledIn(checkout))));
  return done;
};

/** Compiles a checkout's projections/ and runtime/ (tsconfig.build.json) into its .cache/bench-dist-<pid>. */
async function compile(root: string, compiled: string): Promise<void> {
  rmSync(compiled, { recursive: true, force: true });
  process.once('exit', () => rmSync(compiled, { recursive: true, force: true }));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', compiled], {
    cwd: root,
    timeout: 300_000,
  });
  const dashboard = join('runtime', 'http', 'dashboard', 'static');
  cpSync(join(root, dashboard), join(compiled, dashboard), { recursive: true });
}
export const STREAMFOLD_COMMIT_INTERVAL_MS = 100;

/** The projections.yaml doing the same work as the Kafka Streams topology of the same workload. */
export function definitionFor(req: RunRequest): Record<string, unknown> {
  const base = {
    application: req.appId.replace(/[^A-Za-z0-9_]/g, '_'),
    kafka: { brokers: req.brokers.join(',') },
    processing: {
      guarantee: req.exactlyOnce ? 'exactly_once' : 'at_least_once',
      commitIntervalMs: STREAMFOLD_COMMIT_INTERVAL_MS,
    },
    state: { dir: req.stateDir, ...memorySettings(req) },
  };
  const output = { topic: req.output };
  const byWorkload: Record<Workload, () => Record<string, unknown>> = {
    groupby: () => ({
      sources: { orders: { topic: req.inputs[0] } },
      projections: {
        totals: { from: 'orders', groupBy: 'customerId', aggregate: { total: { sum: 'amount' } }, output },
      },
    }),
    table: () => ({
      sources: { events: { topic: req.inputs[0] } },
      projections: { totals: { from: 'events', aggregate: { total: { sum: 'amount' } }, output } },
    }),
    join: () => ({
      sources: {
        orders: { topic: req.inputs[0], kind: 'table' },
        customers: { topic: req.inputs[1], kind: 'table' },
      },
      projections: {
        enriched: {
          from: 'orders',
          join: { table: 'customers', on: 'customerId', type: 'inner' },
          select: { customerId: 'customerId', amount: 'amount', customer: 'customers.name' },
          output,
        },
      },
    }),
    'windowed-count': () => ({
      sources: { orders: { topic: req.inputs[0], time: 'placedAt' } },
      projections: {
        counts: {
          from: 'orders',
          groupBy: 'customerId',
          window: { type: 'tumbling', size: WINDOWS.countSizeMs, grace: WINDOWS.countGraceMs },
          aggregate: { count: { count: '*' } },
          output,
        },
      },
    }),
    'stream-join': () => ({
      sources: {
        orders: { topic: req.inputs[0], time: 'placedAt' },
        payments: { topic: req.inputs[1], time: 'paidAt' },
      },
      projections: {
        paid: {
          from: 'orders',
          join: {
            stream: 'payments',
            type: 'inner',
            as: 'payment',
            within: WINDOWS.joinWithinMs,
            grace: WINDOWS.joinGraceMs,
          },
          select: { customerId: 'customerId', amount: 'amount', paidAt: 'payment.paidAt' },
          output,
        },
      },
    }),
  };
  return { ...base, ...byWorkload[req.workload]() };
}

/** `state.cacheRows`, `state.maxUncommittedRows` and `state.leveldb` when the scenario sets them ((i)); streamfold's defaults otherwise. */
function memorySettings(req: RunRequest): Record<string, unknown> {
  const m = req.stateMemory;
  if (!m) return {};
  return {
    cacheRows: m.cacheRows,
    ...(m.maxUncommittedRows ? { maxUncommittedRows: m.maxUncommittedRows } : {}),
    ...(m.restoreBatchBytes ? { restoreBatchBytes: m.restoreBatchBytes } : {}),
    leveldb: { blockCacheBytes: m.blockCacheBytes, writeBufferBytes: m.writeBufferBytes },
  };
}

/**
 * The node binary of the streamfold processes: the bench's (../node.ts), or for the baseline checkout the
 * one BENCH_BASELINE_NODE names (a Node version measured against another, with BENCH_BASELINE naming this
 * same checkout).
 */
function nodeBinary(baseline: boolean): string {
  return (baseline ? process.env.BENCH_BASELINE_NODE : undefined) ?? benchNode();
}

/**
 * Extra node flags for the streamfold processes, e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile a
 * scenario; the baseline checkout's own when BENCH_BASELINE_NODE_FLAGS is set (a V8 setting measured
 * against none, with BENCH_BASELINE naming this same checkout).
 */
function nodeFlags(baseline: boolean): string[] {
  const own = baseline ? process.env.BENCH_BASELINE_NODE_FLAGS : undefined;
  return (own ?? process.env.BENCH_STREAMFOLD_NODE_FLAGS)?.split(' ').filter(Boolean) ?? [];
}

// One log line per task when its restore ends (runtime/app/restore-progress.ts).
const RESTORED = /task (\d+) restored (\d+) changelog records in (\d+) ms/;

/** The report's name of streamfold with its source record checks off (a measurement, never a setting). */
export const UNCHECKED_STREAMFOLD = 'streamfold, source checks off';

/** The report's name of streamfold holding exchange records until each commit (a measurement, never a setting). */
export const PER_COMMIT_STREAMFOLD = 'streamfold, exchanges per commit';

/** The report's name of another checkout of streamfold (BENCH_BASELINE; a measurement, never a setting). */
export const BASELINE_STREAMFOLD = 'streamfold, baseline checkout';

/** The report's name of `streamfold run --workers 2`. */
export const TWO_WORKERS_STREAMFOLD = 'streamfold, 2 workers';

/** A variant: another name in the report, extra environment (measurement switches) or workers. */
export interface StreamfoldVariant {
  name: string;
  /**
   * Another checkout of streamfold to run instead of this one (`streamfold-baseline`): a change
   * measured against its parent in one run, repetitions interleaved, on the same broker and input.
   */
  checkout?: string;
  env?: NodeJS.ProcessEnv;
  /** `--workers N`: N processes behind one supervisor; ready once every worker runs. */
  workers?: number;
}

const WORKER_RUNNING = /worker (\d+) running/;

export function streamfold(variant: StreamfoldVariant = { name: 'streamfold' }): Contender {
  const checkout = variant.checkout ?? root;
  const cli = cliArgsOf(compiledIn(checkout));
  // resolved on use: a bench without streamfold needs no Node install
  const node = () => nodeBinary(variant.checkout !== undefined);
  return {
    name: variant.name,
    supports: () => true,
    async prepare() {
      try {
        await compileOnce(checkout);
        await promisify(execFile)(node(), [...cli, 'run', '--help'], {
          cwd: checkout,
          timeout: 60_000,
        });
        return undefined;
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        const why = (e.stderr || e.message).trim().split('\n')[0];
        return `\`streamfold run\` is not available yet (${why})`;
      }
    },
    launch(req: RunRequest): Launched {
      const config = join(req.runDir, 'projections.yaml');
      writeFileSync(config, stringify(definitionFor(req)));
      // Any free HTTP port: the API is served as in production, without clashing with a runtime on 8080.
      const args = [
        ...(req.stateMemory ? heapFlags(req.stateMemory) : []),
        // After the scenario's: V8 takes the last value of a flag, so these can override them.
        ...nodeFlags(variant.checkout !== undefined),
        ...cli,
        'run',
        '-c',
        config,
        '--http-port',
        '0',
        ...(variant.workers ? ['--workers', String(variant.workers)] : []),
      ];
      const limitMiB = req.stateMemory?.limitMiB;
      const limited = limitMiB ? underMemoryLimit(node(), args, limitMiB, 'bench-streamfold') : undefined;
      const proc = spawnMeasured(limited?.command ?? node(), limited?.args ?? args, {
        cwd: checkout,
        env: variant.env,
        logFile: join(req.runDir, 'streamfold.log'),
      });
      if (limited)
        void proc.exited.then(() => {
          const kills = limited.oomKills();
          if (kills > 0)
            process.stderr.write(
              `[bench] streamfold: ${kills} OOM kill(s) under its ${limitMiB} MiB limit\n`,
            );
          limited.release();
        });
      const seen = new Map<number, number>();
      const workersRunning = new Set<string>();
      let slowest = 0;
      const ready = firstLine(proc, (line) => {
        // Restores count from the first line: a worker restores before the others run.
        const m = RESTORED.exec(line);
        if (m) {
          seen.set(Number(m[1]), Number(m[2]));
          slowest = Math.max(slowest, Number(m[3]));
        }
        if (variant.workers) {
          // The supervisor's own "running" line comes before any worker has joined.
          const w = WORKER_RUNNING.exec(line);
          if (w) workersRunning.add(w[1]!);
          if (workersRunning.size < variant.workers) return undefined;
        }
        if (!req.expectRestore && (m || /\b(running|started)\b/i.test(line))) return {};
        if (seen.size >= req.partitions)
          return { restoredRecords: [...seen.values()].reduce((a, b) => a + b, 0), restoreMs: slowest };
        return undefined;
      });
      return { proc, groupId: String(definitionFor(req).application), outputs: [req.output], ready };
    },
    settings: () => ({
      'processing.commitIntervalMs': String(STREAMFOLD_COMMIT_INTERVAL_MS),
      emission: 'one output record per changed key per commit',
      'processing.guarantee': 'at_least_once, or exactly_once for the exactly-once row',
      process:
        'one Node.js process, `streamfold run -c projections.yaml --http-port 0`, compiled by tsc (tsconfig.build.json) into .cache/bench-dist-<pid> at the start of the bench',
    }),
  };
}
