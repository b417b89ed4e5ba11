// `npm run bench`: streamfold side by side with Kafka Streams and the raw kafkajs ceiling, on one local
// broker this command starts itself (fresh state directory, its own ports), with the same input for all.
//
//   npm run bench                          full run: 1M events, 3 repetitions; writes bench/results/
//   npm run bench:smoke                    the same pipeline at ~10k events, 1 repetition
//   options: --quick  --reps N  --scenarios a-alos,a-eos,b,c,d,e,f,g,h,i,cmd  --contenders streamfold,streams,streams-defaults,raw,connect
//            (also streamfold-unchecked: streamfold without its source record checks, to price them;
//             streamfold-workers2: `streamfold run --workers 2`;
//             streamfold-per-commit: exchange records held until each commit, as before, only when named;
//             connect: Kafka Connect with the Debezium JDBC sink, (h) only)
//            --brokers host:port (use that broker; also KAFKA_BROKERS)  --out DIR (results directory)
//            (i): --large-keys N (also BENCH_LARGE_KEYS)  --large-events-per-key N (also BENCH_LARGE_EVENTS_PER_KEY)
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheRoot, ensureLocalBroker, KAFKA_VERSION } from '../../runtime/kafka/local-broker/index.ts';
import type { Contender } from './contenders/contender.ts';
import { kafkaStreams } from './contenders/kafka-streams.ts';
import { rawCeiling } from './contenders/raw.ts';
import {
  BASELINE_STREAMFOLD,
  PER_COMMIT_STREAMFOLD,
  streamfold,
  TWO_WORKERS_STREAMFOLD,
  UNCHECKED_STREAMFOLD,
} from './contenders/streamfold.ts';
import { SKIP_CHECKS_ENV } from '../../runtime/sources/index.ts';
import { EXCHANGES_PER_COMMIT_ENV } from '../../runtime/tasks/lingering-sender.ts';
import { describeMachine } from './machine.ts';
import { renderMarkdown, scrubPaths } from './report/render.ts';
import { throughputSvg } from './report/svg.ts';
import { type BenchReport, runBench } from './run.ts';
import { FULL, QUICK, type ScenarioId, SCENARIOS } from './scenarios.ts';
import { freePort } from '../../scripts/free-port.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    scenarios: { type: 'string' },
    contenders: { type: 'string' },
    brokers: { type: 'string' },
    out: { type: 'string' },
    'large-keys': { type: 'string' },
    'large-events-per-key': { type: 'string' },
  },
});

/** A positive integer option (or its environment variable), or the default; a bad one stops the bench. */
function positiveInt(option: string, env: string, given: string | undefined, fallback: number): number {
  const raw = given ?? process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`bench: --${option} (or ${env}) must be a positive integer, got "${raw}"\n`);
    process.exit(2);
  }
  return n;
}

const root = new URL('../../', import.meta.url).pathname;
const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);

/** Keeps the logs and generated configs of a run, not its gigabytes of broker data and state stores. */
function dropBulkData(workDir: string): void {
  rmSync(join(workDir, 'broker', 'data'), { recursive: true, force: true });
  for (const run of readdirSync(workDir))
    rmSync(join(workDir, run, 'state'), { recursive: true, force: true });
}

const CONTENDERS: Record<string, () => Contender> = {
  streamfold,
  streams: () => kafkaStreams(),
  // Kafka Streams as a user gets it (commits every 30 s at-least-once); streamfold's row is at its defaults.
  'streams-defaults': () => kafkaStreams({ defaults: true }),
  raw: rawCeiling,
  // Measurement only: what the checks on source records (entity key, type, partition) cost.
  'streamfold-unchecked': () => streamfold({ name: UNCHECKED_STREAMFOLD, env: { [SKIP_CHECKS_ENV]: '1' } }),
  // Measurement only: at-least-once with exchange records held until each commit (before 2026-12-05).
  'streamfold-per-commit': () =>
    streamfold({ name: PER_COMMIT_STREAMFOLD, env: { [EXCHANGES_PER_COMMIT_ENV]: '1' } }),
  // `streamfold run --workers 2`: two processes on this host (the broker shares its cores).
  'streamfold-workers2': () => streamfold({ name: TWO_WORKERS_STREAMFOLD, workers: 2 }),
  // Measurement only: another checkout (BENCH_BASELINE=<its directory>, e.g. a worktree of the
  // parent commit), to measure a change in one run with the repetitions interleaved.
  'streamfold-baseline': () => {
    const checkout = process.env.BENCH_BASELINE;
    if (!checkout)
      throw new Error('streamfold-baseline: set BENCH_BASELINE to the directory of another checkout');
    return streamfold({ name: BASELINE_STREAMFOLD, checkout: resolve(checkout) + '/' });
  },
};

/** Contenders a full run leaves out: they compare one change, not what a user runs. */
const ONLY_WHEN_NAMED = new Set(['streamfold-per-commit', 'streamfold-baseline']);

async function main(): Promise<void> {
  const sizes = { ...(values.quick ? QUICK : FULL) };
  if (values.reps) sizes.repetitions = Number(values.reps);
  sizes.largeKeys = positiveInt('large-keys', 'BENCH_LARGE_KEYS', values['large-keys'], sizes.largeKeys);
  sizes.largeEventsPerKey = positiveInt(
    'large-events-per-key',
    'BENCH_LARGE_EVENTS_PER_KEY',
    values['large-events-per-key'],
    sizes.largeEventsPerKey,
  );
  const scenarios = (values.scenarios?.split(',') ?? SCENARIOS.map((s) => s.id)) as ScenarioId[];
  const names = values.contenders?.split(',') ?? [
    ...Object.keys(CONTENDERS).filter((n) => !ONLY_WHEN_NAMED.has(n)),
    'connect',
  ];
  // (h) runs its own pipelines: streamfold's views and Kafka Connect
  const viewSinks = names.filter((n) => n === 'streamfold' || n === 'connect');
  const contenders = names
    .filter((n) => n !== 'connect')
    .map((name) => {
      const make = CONTENDERS[name];
      if (!make)
        throw new Error(`unknown contender ${name} (${[...Object.keys(CONTENDERS), 'connect'].join(', ')})`);
      return make();
    });
  const workDir = join(cacheRoot(), 'bench', `run-${process.pid}`);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });

  const given = values.brokers ?? process.env.KAFKA_BROKERS;
  let stopBroker = async () => {};
  let brokers: string[];
  if (given) {
    brokers = given.split(',');
    say(`using the broker at ${brokers.join(',')}`);
  } else {
    const broker = await ensureLocalBroker({
      port: await freePort(),
      controllerPort: await freePort(),
      stateDir: join(workDir, 'broker'),
      fresh: true,
      heap: '1g',
      log: say,
    });
    brokers = broker.brokers;
    stopBroker = () => broker.stop();
    say(`started Kafka ${KAFKA_VERSION} on ${brokers.join(',')} (pid ${broker.pid})`);
  }
  const machine = describeMachine();
  const started = new Date();
  let report: BenchReport;
  try {
    report = await runBench({
      brokers,
      sizes,
      contenders,
      scenarios,
      workDir,
      quick: values.quick ?? false,
      log: say,
      viewSinks,
    });
  } finally {
    await stopBroker();
    dropBulkData(workDir);
  }

  const md = scrubPaths(
    renderMarkdown(report, { machine, sizes, contenders, started, quick: values.quick ?? false }),
  );
  process.stdout.write(`\n${md}\n`);
  const out = values.out ?? (values.quick ? join(workDir, 'results') : join(root, 'bench', 'results'));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.md'), md);
  writeFileSync(
    join(out, 'throughput.svg'),
    throughputSvg(
      report.results,
      `${started.toISOString().slice(0, 16)}Z, ${machine.cores}, median repetition per contender`,
    ),
  );
  writeFileSync(
    join(out, 'latest.json'),
    scrubPaths(
      JSON.stringify(
        { started, machine, sizes, ...report, results: report.results.map(({ samples: _s, ...r }) => r) },
        null,
        1,
      ),
    ),
  );
  say(
    `wrote ${relative(root, join(out, 'latest.md'))} and throughput.svg (logs in ${relative(root, workDir)})`,
  );
}

await main();
// kafkajs keeps sockets around a moment after disconnect; the report is written, so leave now
process.exit(0);
