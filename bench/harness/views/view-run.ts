// Scenario (h): keeping the changelog of (a)'s output (one update per order, 1M) in PostgreSQL, streamfold's
// views beside Kafka Connect with the Debezium JDBC sink, in the bench's own PostgreSQL cluster. Per
// repetition and pipeline (interleaved): a fresh topic, the pipeline started and waited for until it follows
// the topic, then the updates produced at full speed; the run ends when the table holds the final rows.
// rows/s = updates ÷ (first send → final rows visible); lag = last send acknowledged → final rows visible.
import type { Kafka } from 'kafkajs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ensureLocalPostgres, type LocalPostgres } from '../../../runtime/views/local-postgres.ts';
import { freePort } from '../../../scripts/free-port.ts';
import { viewUpdatesDataset } from '../datasets.ts';
import { produceDataset, type ProduceStats } from '../produce.ts';
import type { BenchOptions, BenchReport, RunResult } from '../run.ts';
import { PARTITIONS, SEED } from '../scenarios.ts';
import { tailOf } from '../tail.ts';
import { kafkaConnect } from './kafka-connect.ts';
import type { Sink } from './sink.ts';
import { streamfoldView } from './streamfold-view.ts';
import { compareRows, expectedRows, reachedFinal } from './table-watch.ts';
import { mkdirSync } from 'node:fs';

const POLL_MS = 100;

export interface ViewFigures {
  /** last update acknowledged by the broker → the table holds the final rows */
  lagMs: number;
  /** how long producing the updates took */
  produceMs: number;
}

interface ViewContext {
  o: BenchOptions;
  kafka: Kafka;
  admin: ReturnType<Kafka['admin']>;
  tag: string;
  postgres: LocalPostgres;
  produced: Record<string, ProduceStats>;
}

export async function viewRuns(
  o: BenchOptions,
  kafka: Kafka,
  admin: ReturnType<Kafka['admin']>,
  tag: string,
  report: Required<Omit<BenchReport, 'results'>>,
): Promise<RunResult[]> {
  const { produced, notRun } = report;
  const port = await freePort();
  const postgres = await ensureLocalPostgres({ port, dataDir: join(o.workDir, 'postgres', 'data') });
  o.log(`(h) started PostgreSQL on 127.0.0.1:${port}`);
  const results: RunResult[] = [];
  try {
    // streamfold's projection reads this empty topic; its output topic is each run's topic of updates
    const input = `bench-${tag}-h-input`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: input, numPartitions: PARTITIONS, replicationFactor: 1 }],
    });
    const sinks: Sink[] = [];
    const wanted = o.viewSinks ?? ['streamfold', 'connect'];
    for (const sink of [streamfoldView(input), kafkaConnect(kafka)].filter((k) => wanted.includes(k.id))) {
      const why = await sink.prepare();
      if (why) {
        notRun[sink.name] = why;
        o.log(`(h) ${sink.name}: not run: ${why}`);
      } else {
        sinks.push(sink);
        report.settings[`(h) ${sink.name}`] = sink.settings();
      }
    }
    const ctx: ViewContext = { o, kafka, admin, tag, postgres, produced };
    for (let rep = 1; rep <= o.sizes.repetitions; rep++)
      for (const sink of rep % 2 === 0 ? [...sinks].reverse() : sinks)
        results.push(await viewRun(ctx, sink, rep));
  } finally {
    await postgres.stop();
  }
  return results;
}

async function viewRun(ctx: ViewContext, sink: Sink, rep: number): Promise<RunResult> {
  const { o, kafka, admin, tag, postgres } = ctx;
  const base = { scenario: 'h' as const, contender: sink.name, rep };
  const name = `h_${sink.id}_${rep}_${tag}`;
  const topic = `bench-${tag}-h-${sink.id}-${rep}`;
  const runDir = join(o.workDir, `h-${sink.id}-${rep}`);
  mkdirSync(runDir, { recursive: true });
  const dataset = viewUpdatesDataset(
    topic,
    o.sizes.groupByEvents,
    o.sizes.groupByCustomers,
    SEED,
    sink.encoding,
    PARTITIONS,
  );
  const want = expectedRows(dataset.expected!);
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  });
  o.log(`h rep ${rep}: ${sink.name} …`);
  const launched = sink.launch({
    topic,
    name,
    brokers: o.brokers,
    postgresUrl: postgres.url,
    runDir,
    partitions: PARTITIONS,
  });
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  const failed = (why: string): RunResult => {
    const note = `${why}; log ${launched.proc.logFile}: ${tailOf(launched.proc.logFile, 3)}`;
    o.log(`  failed: ${note}`);
    return { ...base, status: 'failed', note, peakRssMiB: launched.proc.peakRssMiB() };
  };
  try {
    const deadline = Date.now() + o.sizes.runTimeoutMs;
    while (!(await launched.ready().catch(() => false))) {
      if (launched.proc.hasExited()) return failed('exited before following the topic');
      if (Date.now() > deadline) return failed('not ready in time');
      await sleep(200);
    }
    const readyAt = Date.now();
    let doneAt = 0;
    let watchError: unknown;
    const watching = (async () => {
      while (doneAt === 0 && Date.now() < deadline && !launched.proc.hasExited()) {
        const at = Date.now();
        if (await reachedFinal(client, launched.table, want)) doneAt = at;
        else await sleep(POLL_MS);
      }
    })().catch((err: unknown) => (watchError = err));
    const startedAt = Date.now();
    const stats = await produceDataset(kafka, dataset);
    const producedAt = Date.now();
    ctx.produced[`h, ${sink.id}`] ??= stats;
    await watching;
    if (doneAt === 0)
      return failed(
        watchError
          ? `watching the table failed: ${(watchError as Error).message}`
          : 'the table never held the final rows',
      );
    const elapsedMs = Math.max(doneAt - startedAt, 1);
    const rate = (dataset.total / elapsedMs) * 1000;
    const verified = await compareRows(client, launched.table, want);
    const view: ViewFigures = { lagMs: Math.max(0, doneAt - producedAt), produceMs: producedAt - startedAt };
    o.log(
      `  ${Math.round(rate)} rows/s, ${(elapsedMs / 1000).toFixed(2)} s, lag ${(view.lagMs / 1000).toFixed(2)} s after the last update (produced in ${(view.produceMs / 1000).toFixed(1)} s), correct: ${verified}`,
    );
    return {
      ...base,
      status: 'ok',
      rate,
      elapsedMs,
      startupMs: readyAt - launched.proc.spawnedAt,
      peakRssMiB: launched.proc.peakRssMiB(),
      verified,
      view,
    };
  } finally {
    await client.end();
    await launched.proc.stop();
  }
}
