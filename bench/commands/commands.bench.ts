// bench:commands: accepted commands/s and latency of POST /commands/{name}, exactly-once, with one
// and with two `streamfold run` instances, beside the raw kafkajs ceiling (ceiling.ts), in one run.
//
//   npm run bench:commands -- --brokers 127.0.0.1:9092            full: 1, 16, 64 clients, 20 s each
//   npm run bench:commands -- --brokers … --quick                  1 s each, fewer accounts (smoke)
//   options: --clients 1,16,64  --seconds 20  --instances 1,2
//            --ceiling per-append,group-commit,java-group-commit
//
// `java-group-commit` is the group-commit writer with Apache Kafka's own Java producer
// (JavaTransactionalCeiling.java): what the broker and the machine allow, apart from kafkajs.
//
// The workload is the bank of projections.yaml (test/integration/commands/bank.ts): accounts opened
// and funded in a set-up, then each client sends deposits and withdrawals of 1 EUR (half each) to
// random accounts, every command with its own Idempotency-Key. The withdrawals check the balance
// and the daily limit against state, so a command reads the task's stores. With two instances,
// client c sends to instance c % 2: about half the commands are forwarded to the owner.
// After the runs the entity topic is read back read_committed: exactly one event per accepted
// command and none else (log-check.ts), or the run is reported failed.
//
// Prints one line per run and, last, `{"event":"commands-results",...}` (the harness parses it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { stringify } from 'yaml';
import { bankYaml } from '../../test/integration/commands/bank.ts';
import { type Measured, spawnMeasured } from '../harness/process.ts';
import { latencySummary } from '../harness/stats.ts';
import { type CeilingWriter, runCeiling } from './ceiling.ts';
import { runJavaCeiling } from './java-ceiling.ts';
import { checkExactlyOnce } from './log-check.ts';
import { type LoadResult, runLoad } from './load.ts';

const { values: args } = parseArgs({
  options: {
    brokers: { type: 'string' },
    quick: { type: 'boolean', default: false },
    clients: { type: 'string', default: '1,16,64' },
    seconds: { type: 'string' },
    instances: { type: 'string', default: '1,2' },
    ceiling: { type: 'string', default: 'per-append,group-commit,java-group-commit' },
    dir: { type: 'string' },
  },
});

const PARTITIONS = 6;
const JAVA_WRITER = 'java-group-commit';
const JAVA_CONTENDER = 'Apache Kafka Java producer, group-commit';
const root = new URL('../../', import.meta.url).pathname;
const brokers = (args.brokers ?? process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('--brokers host:port (or KAFKA_BROKERS) is required');
const durationMs = Number(args.seconds ?? (args.quick ? 1 : 20)) * 1000;
const accounts = args.quick ? 60 : 200;
const clientCounts = args.clients.split(',').map(Number);
const say = (line: string) => process.stdout.write(`${line}\n`);

export interface CommandsFigures {
  /** `streamfold, 1 instance`, `streamfold, 2 instances`, `raw kafkajs, per-append` … */
  contender: string;
  clients: number;
  /** accepted commands (appends) per second */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  accepted: number;
  refused: number;
  /** 202: the server's wait for the commit ran out (not an error; counted apart, not in the rate) */
  pending?: number;
  errors: number;
  seconds: number;
  note?: string;
}

async function main(): Promise<void> {
  const dir = args.dir ?? (await mkdtemp(join(tmpdir(), 'bench-commands-')));
  mkdirSync(dir, { recursive: true });
  const tag = `bench_cmd_${Date.now().toString(36)}`;
  const topic = `${tag}-accounts`;
  const kafka = new Kafka({ clientId: 'bench-commands', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ceilingTopic = `${tag}-ceiling`;
  await admin.createTopics({
    topics: [topic, ceilingTopic].map((t) => ({ topic: t, numPartitions: PARTITIONS, replicationFactor: 1 })),
  });
  await admin.disconnect();

  const bank = bankYaml(topic);
  const config = join(dir, 'bank.yaml');
  writeFileSync(
    config,
    stringify({
      application: tag,
      ...bank,
      // The defaults: a command does not wait for the interval, its commit is requested at once.
      processing: { guarantee: 'exactly_once', commitIntervalMs: 100 },
    }),
  );
  const figures: CommandsFigures[] = [];
  const acceptedIds = new Set<string>();
  const unknownIds = new Set<string>();
  const started: Array<{ proc: Measured; url: string }> = [];
  const instanceCounts = args.instances.split(',').map(Number);
  try {
    while (started.length < Math.max(...instanceCounts)) {
      started.push(await startInstance(config, join(dir, `instance-${started.length}`)));
      const urls = started.map((s) => s.url);
      // Set-up (first instance) and warm-up (after every start: the rebalance must be over).
      if (started.length === 1) {
        const setup = await sendAll(
          urls,
          Array.from({ length: accounts * 2 }, (_, a) => {
            const accountId = `acc${a % accounts}`;
            return a < accounts
              ? { command: 'openAccount', body: { accountId, owner: `o${a}` }, id: `open-${a}` }
              : { command: 'deposit', body: { accountId, amount: 1_000_000 }, id: `fund-${a}` };
          }),
        );
        // Opens must be done before the deposits (expectedVersion exists): retry the early ones.
        for (const id of setup.acceptedIds) acceptedIds.add(id);
        await fundMissing(urls, setup, acceptedIds);
      }
      await settled(urls);
      await warmUp(urls, acceptedIds, unknownIds);
      if (!instanceCounts.includes(started.length)) continue;
      const name = `streamfold, ${started.length} instance${started.length > 1 ? 's' : ''}`;
      for (const clients of clientCounts) {
        const run = `r${started.length}-${clients}`;
        const result = await runLoad({ urls, clients, durationMs, next: bankCommand(run) });
        for (const id of result.acceptedIds) acceptedIds.add(id);
        for (const id of result.unknownIds) unknownIds.add(id);
        figures.push(summarise(name, clients, result));
        say(line(figures.at(-1)!));
      }
    }
  } finally {
    for (const s of started) await s.proc.stop();
  }
  const check = await checkExactlyOnce(brokers, topic, acceptedIds, unknownIds);
  say(`exactly-once check: ${check.ok ? 'ok' : 'FAILED'}: ${check.detail}`);
  if (!check.ok) for (const f of figures) f.note = `exactly-once check failed: ${check.detail}`;

  const writers = args.ceiling.split(',').filter(Boolean);
  for (const clients of writers.includes(JAVA_WRITER) ? clientCounts : []) {
    // A failure of the reference writer is reported, and costs its row only, not the run's other figures.
    const r = await runJavaCeiling({
      brokers,
      topic: ceilingTopic,
      partitions: PARTITIONS,
      clients,
      durationMs,
      tag: `${tag}-java-${clients}`,
    }).catch((err: Error) => {
      say(`${JAVA_CONTENDER} ${clients} clients: failed: ${err.message.slice(0, 600)}`);
      return undefined;
    });
    if (!r) continue;
    figures.push({
      contender: JAVA_CONTENDER,
      clients,
      rate: r.rate,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      accepted: r.appended,
      refused: 0,
      errors: r.failed,
      seconds: r.seconds,
    });
    say(line(figures.at(-1)!));
  }
  for (const writer of writers.filter((w) => w !== JAVA_WRITER) as CeilingWriter[])
    for (const clients of clientCounts) {
      const r = await runCeiling({
        brokers,
        topic: ceilingTopic,
        partitions: PARTITIONS,
        clients,
        durationMs,
        writer,
        tag: `${tag}-${clients}`,
        next: (c, n) => ({
          key: `acc${(c * 7919 + n * 104729) % accounts}`,
          value: { eventType: 'MoneyDeposited', accountId: 'x', amount: 1, eventId: `${c}-${n}` },
        }),
      });
      const lat = latencySummary(r.latenciesMs)!;
      figures.push({
        contender: `raw kafkajs, ${writer}`,
        clients,
        rate: r.appended / (r.elapsedMs / 1000),
        p50Ms: lat.p50,
        p99Ms: lat.p99,
        accepted: r.appended,
        refused: 0,
        errors: 0,
        seconds: r.elapsedMs / 1000,
      });
      say(line(figures.at(-1)!));
    }
  say(JSON.stringify({ event: 'commands-results', exactlyOnce: check, figures }));
}

/** Client c's n-th command of a timed run: a deposit or a withdrawal of 1 EUR on a random account. */
function bankCommand(run: string) {
  return (c: number, n: number) => {
    const accountId = `acc${Math.floor(Math.random() * accounts)}`;
    const command = n % 2 === 0 ? 'deposit' : 'withdraw';
    return { command, body: { accountId, amount: 1 }, id: `${run}-${c}-${n}` };
  };
}

/** Deposits refused because they overtook their account's opening are sent again (new ids). */
async function fundMissing(urls: string[], setup: LoadResult, ids: Set<string>): Promise<void> {
  const missing = Array.from({ length: accounts }, (_, a) => a).filter(
    (a) => !ids.has(`fund-${a + accounts}`),
  );
  const again = await sendAll(
    urls,
    missing.map((a) => ({
      command: 'deposit',
      body: { accountId: `acc${a}`, amount: 1_000_000 },
      id: `refund-${a}`,
    })),
  );
  for (const id of again.acceptedIds) ids.add(id);
  if (again.accepted !== missing.length || setup.errors + again.errors > 0)
    throw new Error(`set-up failed: ${[...setup.errorSamples, ...again.errorSamples].join('; ')}`);
}

/** Commands to every instance until each answers 50 in a row without 503 (the rebalance is over). */
/** Sends every command of the list (8 clients), retrying 503s (the set-up). */
function sendAll(urls: string[], list: Array<{ command: string; body: unknown; id: string }>) {
  return runLoad({
    urls,
    clients: 8,
    durationMs: 120_000,
    retryUnavailable: true,
    next: (c, n) => list[n * 8 + c],
  });
}

let warmUps = 0;
/**
 * Waits until every instance runs partitions and none is warming up: a joining instance gets tasks
 * only once its warm-up copies caught up (a second, probing rebalance), which must not fall into a
 * measured run.
 */
async function settled(urls: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  type Status = Array<{
    partitions: Array<{ status: string }>;
    standbys?: Array<{ warmup: boolean }>;
  }>;
  const projectionsOf = (u: string) =>
    fetch(`${u}/projections`)
      .then((r) => r.json() as Promise<{ projections: Status }>)
      .then((b) => b.projections)
      .catch(() => [] as Status);
  for (;;) {
    const statuses = await Promise.all(urls.map(projectionsOf));
    const ok = statuses.every(
      (projections) =>
        projections.length > 0 &&
        projections.every(
          (p) =>
            p.partitions.length > 0 &&
            p.partitions.every((x) => x.status === 'running') &&
            !(p.standbys ?? []).some((sb) => sb.warmup),
        ),
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`instances not settled: ${JSON.stringify(statuses)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function warmUp(urls: string[], ids: Set<string>, unknown: Set<string>): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const round = warmUps++;
    const r = await runLoad({
      urls,
      clients: urls.length * 4,
      durationMs: 60_000,
      next: (c, n) => (n < 13 ? bankCommand(`warm${round}`)(c, n) : undefined),
    });
    for (const id of r.acceptedIds) ids.add(id);
    for (const id of r.unknownIds) unknown.add(id);
    if (r.errors === 0 && r.pending === 0) return;
    if (Date.now() > deadline) throw new Error(`warm-up failed: ${r.errorSamples.join('; ')}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

function summarise(contender: string, clients: number, r: LoadResult): CommandsFigures {
  const lat = latencySummary(r.latenciesMs);
  return {
    contender,
    clients,
    rate: r.accepted / (r.elapsedMs / 1000),
    p50Ms: lat?.p50 ?? Number.NaN,
    p99Ms: lat?.p99 ?? Number.NaN,
    accepted: r.accepted,
    refused: r.refused,
    pending: r.pending,
    errors: r.errors,
    seconds: r.elapsedMs / 1000,
    ...(r.errors > 0 ? { note: `${r.errors} errors, e.g. ${r.errorSamples[0]}` } : {}),
  };
}

const line = (f: CommandsFigures) =>
  `${f.contender.padEnd(28)} ${String(f.clients).padStart(3)} clients  ${Math.round(f.rate)
    .toString()
    .padStart(
      6,
    )} accepted/s  p50 ${f.p50Ms.toFixed(1)} ms  p99 ${f.p99Ms.toFixed(1)} ms  (${f.accepted} accepted, ${f.refused} refused, ${f.pending ?? 0} pending, ${f.errors} errors)`;

/** `streamfold run` on this config, through bin/streamfold.js; resolves with its HTTP base URL. */
async function startInstance(config: string, stateDir: string): Promise<{ proc: Measured; url: string }> {
  const flags = process.env.BENCH_STREAMFOLD_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  mkdirSync(stateDir, { recursive: true });
  const proc = spawnMeasured(
    process.execPath,
    [
      ...flags,
      join(root, 'bin', 'streamfold.js'),
      'run',
      '-c',
      config,
      '--brokers',
      brokers.join(','),
      '--state-dir',
      stateDir,
      '--http-port',
      '0',
    ],
    { cwd: root, logFile: join(stateDir, 'streamfold.log') },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`instance did not start; log: ${proc.logFile}`)),
      120_000,
    );
    proc.onLine((l) => {
      const m = /dashboard\s+(http:\/\/\S+)\/dashboard\//.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]! });
      }
    });
    void proc.exited.then((code) => reject(new Error(`instance exited (${code}); log: ${proc.logFile}`)));
  });
}

await main();
process.exit(0);
