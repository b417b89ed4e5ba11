// End-to-end runtime benchmark on a real broker: group-by-sum over N events in P partitions
// (by the record key, and by a value field through the repartition topic), from the start of
// `Application.start()` until every task has processed and committed everything; then the restore
// rate of the resulting stores from their changelogs after the state directory is deleted.
// Not part of npm test. Uses KAFKA_BROKERS, else the local broker (started if needed).
//
//   npm run bench:runtime [-- --events 200000 --partitions 6 --keys 10000]
// Each scenario runs at-least-once; the first two again under exactly_once (same input).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Definition } from '../../projections/definition/schema.ts';
import { Application } from '../../runtime/app/index.ts';
import { ensureLocalBroker } from '../../runtime/kafka/local-broker/index.ts';
import { numberArg } from '../number-arg.ts';

const { Kafka, Partitioners, logLevel } = kafkajs;

const EVENTS = numberArg('events', 200_000);
const PARTITIONS = numberArg('partitions', 6);
const KEYS = numberArg('keys', 10_000);

const brokers = process.env.KAFKA_BROKERS
  ? process.env.KAFKA_BROKERS.split(',')
  : (await ensureLocalBroker({ log: (l) => process.stderr.write(`${l}\n`) })).brokers;
const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'streamfold-bench' });
const run = `${Date.now().toString(36)}`;

async function produce(topic: string, keys: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: PARTITIONS, configEntries: [{ name: 'retention.ms', value: '-1' }] }],
  });
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  const batch = 5_000;
  for (let i = 0; i < EVENTS; i += batch) {
    const messages = Array.from({ length: Math.min(batch, EVENTS - i) }, (_, j) => {
      const n = i + j;
      const account = `acct-${n % keys}`;
      return {
        key: account,
        value: JSON.stringify({ account, region: `r${n % 50}`, amount: (n % 100) + 1 }),
      };
    });
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

async function waitCaughtUp(app: Application): Promise<void> {
  let streak = 0;
  while (streak < 2) {
    await new Promise((r) => setTimeout(r, 100));
    streak = (await app.caughtUp()) ? streak + 1 : 0;
  }
}

interface Row {
  scenario: string;
  seconds: number;
  rate: string;
}
const rows: Row[] = [];

async function scenario(
  name: string,
  groupBy: string | undefined,
  keys = KEYS,
  guarantee: 'at_least_once' | 'exactly_once' = 'at_least_once',
): Promise<void> {
  const tag = `${groupBy ?? 'key'}${keys}${guarantee === 'exactly_once' ? 'eos' : ''}`;
  const topic = `bench-${run}-${tag}`;
  await produce(topic, keys);
  const definition = Definition.parse({
    application: `bench_${run}_${tag}`,
    // Exactly-once: one transaction per task and commit (the same input, the same commit interval).
    processing: { guarantee, commitIntervalMs: 100 },
    sources: { payments: { topic } },
    projections: {
      totals: {
        from: 'payments',
        ...(groupBy ? { groupBy } : {}),
        aggregate: { total: { sum: 'amount' }, n: { count: '*' } },
      },
    },
  });
  const stateDir = await mkdtemp(join(tmpdir(), 'streamfold-bench-'));
  try {
    let first = 0;
    const app = new Application({ definition, brokers, stateDir, progress: 'log' });
    app.onProcessed = () => {
      if (first === 0) first = performance.now();
    };
    const t0 = performance.now();
    await app.start();
    await waitCaughtUp(app);
    const t1 = performance.now();
    await app.stop();
    const total = (t1 - t0) / 1000;
    const processing = (t1 - first) / 1000;
    rows.push({
      scenario: `${name}: start → caught up`,
      seconds: total,
      rate: `${Math.round(EVENTS / total).toLocaleString('en')} events/s`,
    });
    rows.push({
      scenario: `${name}: first record → caught up`,
      seconds: processing,
      rate: `${Math.round(EVENTS / processing).toLocaleString('en')} events/s`,
    });

    // Lost disk: every store comes back from its changelog.
    await rm(stateDir, { recursive: true, force: true });
    const again = new Application({ definition, brokers, stateDir, progress: 'log' });
    const r0 = performance.now();
    await again.start();
    while (again.restoreLog.length < PARTITIONS) await new Promise((r) => setTimeout(r, 20));
    const r1 = performance.now();
    await again.stop();
    const records = again.restoreLog.reduce((n, r) => n + r.records, 0);
    const restoreMs = Math.max(...again.restoreLog.map((r) => r.ms));
    rows.push({
      scenario: `${name}: restore ${records.toLocaleString('en')} changelog records`,
      seconds: restoreMs / 1000,
      rate: `${Math.round(records / (restoreMs / 1000)).toLocaleString('en')} records/s (${((r1 - r0) / 1000).toFixed(2)} s from start)`,
    });
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

await scenario('sum by record key', undefined);
await scenario('sum by value field (repartition)', 'region');
await scenario('sum by record key, exactly-once', undefined, KEYS, 'exactly_once');
await scenario('sum by value field (repartition), exactly-once', 'region', KEYS, 'exactly_once');
// Every event its own key: as many changelog records as events, for the restore rate.
await scenario(`sum by record key, ${EVENTS.toLocaleString('en')} keys`, undefined, EVENTS);

const width = Math.max(...rows.map((r) => r.scenario.length));
process.stdout.write(
  `\nstreamfold runtime, ${EVENTS.toLocaleString('en')} events, ${PARTITIONS} partitions, ${KEYS.toLocaleString('en')} keys, at-least-once unless marked exactly-once, commit every 100 ms\n\n`,
);
process.stdout.write(`${'scenario'.padEnd(width)}  seconds  rate\n`);
for (const r of rows)
  process.stdout.write(`${r.scenario.padEnd(width)}  ${r.seconds.toFixed(2).padStart(7)}  ${r.rate}\n`);
