// Orchestration: per scenario family, generate and produce the input once, then run every contender on it,
// repetition by repetition (contenders interleaved, so that a slow phase of the shared machine does not land
// on one contender only). Every figure of a report comes from one invocation.
import { Kafka, logLevel } from 'kafkajs';
import type { Contender } from './contenders/contender.ts';
import {
  type Dataset,
  fkJoinDataset,
  groupBySumDataset,
  largeStateDataset,
  restoreDataset,
  streamJoinDataset,
  windowedCountDataset,
} from './datasets.ts';
import { type CommandsReport, runCommandsDelegate } from './commands.ts';
import { type HttpFigures, runHttpDelegate } from './http.ts';
import { type LatencyFigures, latencyRun } from './latency-run.ts';
import { produceDataset, type ProduceStats } from './produce.ts';
import type { ProgressSample } from './progress.ts';
import { type ScenarioContext, slug } from './run-context.ts';
import { PARTITIONS, type Scenario, SCENARIOS, SEED, type Sizes } from './scenarios.ts';
import { LARGE_STATE_CONTENDERS, type LargeStateFigures, largeStateRun } from './large-state.ts';
import type { StateSize } from './state-size.ts';
import { processRun, timedRestore } from './timed-runs.ts';
import { type ViewFigures, viewRuns } from './views/view-run.ts';

export interface RunResult {
  scenario: Scenario['id'];
  contender: string;
  rep: number;
  status: 'ok' | 'failed' | 'not run';
  /** events/s (processing) or records/s (restore) */
  rate?: number;
  elapsedMs?: number;
  /** spawn → first committed progress (processing) */
  startupMs?: number;
  peakRssMiB?: number;
  /** CPU ms of the contender's processes (user + system) while timed: processing start → completion, or spawn → restored */
  cpuMs?: number;
  verified?: string;
  note?: string;
  /** committed source records over time (processing runs) */
  samples?: ProgressSample[];
  startedAtOffsetMs?: number;
  /** HTTP figures, scenario (d) */
  http?: HttpFigures;
  /** end-to-end latency figures, scenario (e) */
  latency?: LatencyFigures;
  /** commands figures, scenario (cmd) */
  commands?: CommandsReport;
  /** lag of the table behind the last update, scenario (h) */
  view?: ViewFigures;
  /** (f), (g): the state directory once the run ended, after retention */
  state?: StateSize;
  /** restore runs: changelog records restored, and the restore alone by the process's own account */
  restoredRecords?: number;
  restoreMs?: number;
  /** (i): memory over time, state on disk, and the restore that followed */
  large?: LargeStateFigures;
}

export interface BenchOptions {
  brokers: string[];
  sizes: Sizes;
  contenders: Contender[];
  scenarios: Scenario['id'][];
  workDir: string;
  quick: boolean;
  log: (line: string) => void;
  /** (h)'s pipelines by id (`streamfold`, `connect`); default both. */
  viewSinks?: string[];
}

export interface BenchReport {
  results: RunResult[];
  produced: Record<string, ProduceStats>;
  notRun: Record<string, string>;
  /** Settings of pipelines that are not contenders ((h): "(h) <pipeline>" → its settings). */
  settings?: Record<string, Record<string, string>>;
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const tag = Date.now().toString(36);
  const kafka = new Kafka({ clientId: 'bench-harness', brokers: o.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const results: RunResult[] = [];
  const produced: Record<string, ProduceStats> = {};
  const notRun: Record<string, string> = {};
  const settings: Record<string, Record<string, string>> = {};
  const available: Contender[] = [];
  for (const c of o.contenders) {
    const why = await c.prepare();
    if (why) {
      notRun[c.name] = why;
      o.log(`${c.name}: not run: ${why}`);
    } else available.push(c);
  }
  const topic = (name: string) => `bench-${tag}-${name}`;

  try {
    for (const family of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'cmd'] as const) {
      const scenarios = SCENARIOS.filter((s) => s.family === family && o.scenarios.includes(s.id));
      if (scenarios.length === 0) continue;
      if (family === 'h') {
        results.push(...(await viewRuns(o, kafka, admin, tag, { produced, notRun, settings })));
        continue;
      }
      if (family === 'd') {
        results.push(...(await runHttpDelegate(o)));
        continue;
      }
      if (family === 'cmd') {
        results.push(...(await runCommandsDelegate(o)));
        continue;
      }
      if (family === 'e') {
        results.push(
          ...(await latencyRuns(
            {
              o,
              kafka,
              admin,
              scenario: scenarios[0]!,
              inputs: [],
              tag,
              dataset: latencyDataset(o.sizes, topic),
            },
            available,
          )),
        );
        continue;
      }
      const dataset = makeDataset(family, o.sizes, topic);
      await admin.createTopics({
        waitForLeaders: true,
        topics: dataset.inputs.map((i) => ({
          topic: i.topic,
          numPartitions: PARTITIONS,
          replicationFactor: 1,
          configEntries: i.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
      const p = await produceDataset(kafka, dataset);
      produced[family] = p;
      o.log(
        `(${family}) produced ${p.records} records, ${(p.bytes / 2 ** 20).toFixed(1)} MiB in ${(p.ms / 1000).toFixed(1)} s: ${Math.round((p.records / p.ms) * 1000)} records/s`,
      );
      // (b) join: orders first, customers second (the contenders' argument order); the data goes in the other
      // way. (g): orders, then payments, as produced.
      const topics = dataset.inputs.map((i) => i.topic);
      const inputs = family === 'b' ? [...topics].reverse() : topics;
      for (const scenario of scenarios) {
        const ctx: ScenarioContext = { o, kafka, admin, dataset, scenario, inputs, tag };
        if (scenario.kind === 'process' || scenario.kind === 'large-state') {
          for (let rep = 1; rep <= o.sizes.repetitions; rep++) {
            for (const c of rotate(available, rep)) {
              // the raw ceiling has no guarantee to vary: measured once, in the at-least-once row
              if (c.name === 'raw kafkajs' && scenario.exactlyOnce) continue;
              if (scenario.kind === 'large-state' && !LARGE_STATE_CONTENDERS.includes(c.name)) continue;
              results.push(
                scenario.kind === 'large-state'
                  ? await largeStateRun(ctx, c, rep)
                  : await processRun(ctx, c, rep),
              );
            }
          }
        } else {
          for (const c of available) results.push(...(await restoreRuns(ctx, c)));
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
  return { results, produced, notRun, settings };
}

function makeDataset(
  family: 'a' | 'b' | 'c' | 'f' | 'g' | 'i',
  s: Sizes,
  topic: (n: string) => string,
): Dataset {
  if (family === 'i')
    return largeStateDataset(topic('large-events'), s.largeKeys, s.largeEventsPerKey, SEED + 5);
  if (family === 'a') return groupBySumDataset(topic('orders'), s.groupByEvents, s.groupByCustomers, SEED);
  // (f) reads the same input as (a): same generator, same seed
  if (family === 'f')
    return windowedCountDataset(topic('window-orders'), s.groupByEvents, s.groupByCustomers, SEED);
  if (family === 'g')
    return streamJoinDataset(
      topic('stream-orders'),
      topic('stream-payments'),
      s.streamJoinOrders,
      s.groupByCustomers,
      SEED + 4,
    );
  if (family === 'b')
    return fkJoinDataset(
      topic('join-orders'),
      topic('join-customers'),
      s.joinOrders,
      s.joinCustomers,
      SEED + 1,
    );
  return restoreDataset(topic('restore-events'), s.restoreKeys, SEED + 2);
}

/** (e): the warm-up and the timed orders, one sequence, so the final totals are checked as in (a). */
function latencyDataset(s: Sizes, topic: (n: string) => string): Dataset {
  const count = s.latencyWarmup + s.latencyRate * s.latencySeconds;
  return groupBySumDataset(topic('latency-orders'), count, s.groupByCustomers, SEED + 3);
}

/** (e) per repetition, contenders interleaved; the raw ceiling has no output whose latency could be measured. */
async function latencyRuns(ctx: ScenarioContext, contenders: Contender[]): Promise<RunResult[]> {
  const out: RunResult[] = [];
  for (let rep = 1; rep <= ctx.o.sizes.repetitions; rep++) {
    for (const c of rotate(contenders, rep))
      if (c.name !== 'raw kafkajs') out.push(await latencyRun(ctx, c, rep));
  }
  return out;
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % Math.max(1, items.length);
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * (c): build the store once (an untimed processing run), then per repetition wipe the local state and time a
 * fresh start of the same application until it reports its stores restored and itself running.
 * The raw ceiling instead reads the same number of records (the input topic) with a fresh group each time.
 */
async function restoreRuns(ctx: ScenarioContext, c: Contender): Promise<RunResult[]> {
  const out: RunResult[] = [];
  if (c.name === 'raw kafkajs') {
    for (let rep = 1; rep <= ctx.o.sizes.repetitions; rep++) out.push(await processRun(ctx, c, rep));
    return out;
  }
  const name = `c-${slug(c.name)}`;
  ctx.o.log(`c: ${c.name} builds its store (not timed as a restore)`);
  const build = await processRun(ctx, c, 0, name);
  if (build.status !== 'ok') return [{ ...build, rep: 1, note: `building the store failed: ${build.note}` }];
  for (let rep = 1; rep <= ctx.o.sizes.repetitions; rep++)
    out.push(await timedRestore(ctx, c, name, rep, ctx.dataset.total));
  return out;
}
