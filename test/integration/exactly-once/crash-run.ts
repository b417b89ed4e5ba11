// The exactly-once crash test, shared by `npm run crash-test` (full size) and the CI-sized test:
// seed events from the shop generator, run `streamfold run` (the real CLI, child processes) under
// exactly_once, SIGKILL it at seeded random moments and restart it, then compare the output topics
// (read_committed, last value per key) and the stores with the pure-engine oracle, exactly.
//
// With one instance, each kill also checks that the local state survives: the stores that had a
// checkpoint at the kill are caught up from it by the restart (never wiped and rebuilt).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { planTopics } from '../../../runtime/app/topic-plan.ts';
import { changelogTopic } from '../../../runtime/kafka/admin/index.ts';
import { generateEvents } from '../../../runtime/generator/index.ts';
import { stateDirectory, TaskStores } from '../../../runtime/stores/index.ts';
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_DEDUP_HORIZON_MS } from '../../../projections/dedup/index.ts';
import { kafka } from '../helpers.ts';
import { oracleTable, viewTable, withViews } from '../views/postgres.ts';
import {
  comparableStores,
  createSources,
  oracle,
  outputTables,
  plain,
  produceEvents,
  type SeedEvent,
  shopDefinition,
} from '../runtime/harness.ts';

/**
 * A windowed aggregate (emit final) and a windowed stream–stream left join for the crash test,
 * chosen so that no result depends on how a task interleaves its inputs (harness.ts,
 * shopDefinition, says why the examples' windows can): the aggregate groups by the input key, so
 * each task's stream time follows its own orders partition in offset order (the generator's times
 * only grow: no late records); the join's right side is the orders topic itself (the placed
 * order's later events, same partition, offset order), and its window (30 days + 1 h grace)
 * outlasts the run (the generator spaces events about 1 s apart: 200k events are ~2.3 days, the
 * soak's 1M ~12 days), so no record leaves its buffer and no unmatched order is padded. With a
 * shorter window the full-size run's buffers would expire by each task's own stream time, which
 * the single-executor oracle (one stream time over all partitions) cannot follow: a 1-day window
 * made the 200k-event run report its join buffer stores as differing while every table matched.
 * Hourly windows do close and expire during the run.
 */
export const CRASH_WINDOWS = `
  orders_per_hour:
    from: orders
    window: { type: tumbling, size: 1h, grace: 10m }
    emit: final
    aggregate: { events: { count: "*" } }
    select: { hour: windowStart, events: events }
  orders_within_day:
    from: orders
    where: eventType == "OrderPlaced"
    join: { stream: orders, type: left, as: later, within: { before: 0, after: 30d }, grace: 1h }
    select: { customerId: customerId, later: later.eventType, at: later.timestamp }
`;
const VIEWS = ['balances', 'orders_enriched'];

async function viewsAgainstOracle(url: string, def: Definition, tables: Map<string, Map<string, unknown>>) {
  const actual: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  for (const p of VIEWS) {
    actual[p] = await viewTable(url, def, p);
    expected[p] = oracleTable(tables.get(p)!);
  }
  return { actual, expected };
}

const main = fileURLToPath(new URL('../../../runtime/cli/main.ts', import.meta.url));

export interface CrashRunOptions {
  workDir: string;
  events: number;
  kills: number;
  seed: number;
  /** 1: kill and restart the only instance; 2: two instances, kill one of them each time. */
  instances: 1 | 2;
  partitions?: number;
  /** An instance runs this long (uniform, seeded) before it is killed. */
  upMs?: [number, number];
  /** How long to wait for the instances to catch up after the last kill. */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
  /** Also keep balances and orders_enriched in PostgreSQL views in this database (docs/views.md). */
  postgresUrl?: string;
}

export interface CrashRunResult {
  application: string;
  events: number;
  kills: number;
  ms: number;
  /** Output tables as read from the topics and as the oracle has them (plain objects). */
  tables: { actual: unknown; expected: unknown };
  stores: { actual: unknown; expected: unknown };
  /** Single instance: per kill, stores with a checkpoint that the restart rebuilt instead of catching up. */
  wiped: string[];
  /** Single instance: per kill, the sum of checkpoint offsets and the rows found in the dead instance's state. */
  checkpoints: Array<{ offsets: number; rows: number }>;
  /** With postgresUrl: the views as SELECT reads them and the oracle's tables, same shape. */
  views?: { actual: unknown; expected: unknown };
}

/** mulberry32: seeded, so a failing run can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Instance {
  child: ChildProcess;
  stderr: string;
  exited: Promise<void>;
}

/** Children still alive are killed when this process exits (an interrupted run leaves none). */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

function startInstance(configFile: string, stateDir: string): Instance {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      main,
      'run',
      '-c',
      configFile,
      '--brokers',
      process.env.KAFKA_BROKERS ?? '',
      '--state-dir',
      stateDir,
      '--no-http',
    ],
    { env: { ...process.env, STREAMFOLD_LOG_FORMAT: 'json' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const instance: Instance = {
    child,
    stderr: '',
    exited: new Promise((resolve) =>
      child.on('exit', () => {
        live.delete(child);
        resolve();
      }),
    ),
  };
  live.add(child);
  child.stderr.on('data', (c: Buffer) => {
    instance.stderr += c.toString();
    // Only the tail matters for diagnostics and the restore lines of this process.
    if (instance.stderr.length > 4_000_000) instance.stderr = instance.stderr.slice(-2_000_000);
  });
  return instance;
}

function logLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

async function runningTask(i: Instance, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!logLines(i.stderr).some((l) => /^task \d+ running$/.test(String(l.msg)))) {
    if (Date.now() > deadline || i.child.exitCode !== null)
      throw new Error(`the instance runs no task after ${timeoutMs} ms:\n${i.stderr.slice(-3_000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function kill(i: Instance, signal: NodeJS.Signals): Promise<void> {
  if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill(signal);
  await i.exited;
}

/** Per task: which stores have a checkpoint, the sum of their offsets, and the rows in them. */
async function inspectState(def: Definition, stateDir: string, tasks: number, stores: string[]) {
  const out: Array<{ task: number; checkpointed: string[]; offsets: number; rows: number }> = [];
  for (let p = 0; p < tasks; p++) {
    const s = await TaskStores.open({
      location: stateDirectory(stateDir, def.application, p),
      changelogOf: (name) => ({ topic: changelogTopic(name), partition: p }),
    });
    try {
      let offsets = 0;
      let rows = 0;
      const checkpointed: string[] = [];
      for (const name of stores) {
        const cp = s.checkpoint(name);
        if (cp && cp.offset > 0) {
          checkpointed.push(name);
          offsets += cp.offset;
        }
        for await (const _ of s.store(name).scan()) rows++;
      }
      out.push({ task: p, checkpointed, offsets, rows });
    } finally {
      await s.close();
    }
  }
  return out;
}

/** True once the group's committed offsets reach the end of every input partition. */
async function caughtUp(def: Definition, inputs: string[]): Promise<boolean> {
  const admin = kafka('streamfold-crash-test').admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId: def.application, topics: inputs });
    for (const t of committed) {
      const ends = await admin.fetchTopicOffsets(t.topic);
      for (const e of ends) {
        const c = Number(t.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
        if (Number(e.high) > Number(e.low) && c < Number(e.high)) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}

/** A group state without the time of its last update and its key: what says it is empty. */
function withoutTimeAndKey(state: unknown): unknown {
  const { t: _t, k: _k, ...rest } = state as Record<string, unknown>;
  return rest;
}

/** Every leaf of an aggregate's state is 0, null or empty. */
function emptied(v: unknown): boolean {
  if (v === null || v === 0) return true;
  if (Array.isArray(v)) return v.every(emptied);
  if (typeof v === 'object') return Object.values(v).every(emptied);
  return false;
}

/**
 * Table-aggregation groups whose every contribution was retracted (count 0, sum 0) stay in the
 * store, but only when the group saw the intermediate row: the runtime's record cache collapses a
 * table's changes between two commits (an order placed and cancelled within one commit interval
 * reaches the re-grouping as nothing at all), the pure engine emits every change. Neither is an
 * output row (`having` hides them); they are left out of the comparison on both sides.
 */
function withoutEmptiedGroups(stores: Map<string, Map<string, unknown>>): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  for (const [name, rows] of stores) {
    if (!name.endsWith('-agg')) out.set(name, rows);
    else out.set(name, new Map([...rows].filter(([, v]) => !emptied(withoutTimeAndKey(v)))));
  }
  return out;
}

/**
 * Dedup entries older than the horizon are garbage: the runtime purges them in slices (once per
 * commit interval and task, against the task's stream time), the pure engine never does. The live
 * entries, those within the horizon of the last event time, must be the same on both sides.
 */
function liveDedupEntries(
  stores: Map<string, Map<string, unknown>>,
  lastEventTime: number,
): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  for (const [name, rows] of stores) {
    if (!name.endsWith('-dedup')) out.set(name, rows);
    else
      out.set(
        name,
        new Map(
          [...rows].filter(
            ([k, v]) => !k.startsWith('\u0001') && (v as number) >= lastEventTime - DEFAULT_DEDUP_HORIZON_MS,
          ),
        ),
      );
  }
  return out;
}

/** The names of the stores whose comparable contents differ (for reports). */
export function differingStores(actual: unknown, expected: unknown): string[] {
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(e)])].filter((n) => !isDeepStrictEqual(a[n], e[n]));
}

export async function crashRun(opts: CrashRunOptions): Promise<CrashRunResult> {
  const started = Date.now();
  const say = opts.log ?? (() => undefined);
  const partitions = opts.partitions ?? 3;
  const [upMin, upMax] = opts.upMs ?? [2_000, 6_000];
  const rnd = prng(opts.seed);
  const shop = shopDefinition(
    opts.instances === 2 ? 'crash2' : 'crash',
    { processing: { guarantee: 'exactly_once', commitIntervalMs: 100 } },
    { extraProjections: CRASH_WINDOWS },
  );
  const def = opts.postgresUrl ? withViews(shop.definition, opts.postgresUrl) : shop.definition;
  await mkdir(opts.workDir, { recursive: true });
  const configFile = join(opts.workDir, `${def.application}.yaml`);
  // JSON is YAML; brokers come from --brokers.
  await writeFile(configFile, JSON.stringify({ ...def, kafka: {} }, null, 2));
  await createSources(shop, partitions);

  const events: SeedEvent[] = generateEvents(opts.seed, opts.events, { topics: shop.topics });
  const topology = compileTopology(def);
  const stores = [...new Set(topology.subTopologies.flatMap((s) => s.stores.map((x) => x.name)))];
  const inputs = planTopics(topology, new Map(Object.values(shop.topics).map((t) => [t, partitions]))).inputs;

  // A fifth up front, the rest paced over the expected length of the kill phase (a kill's up time
  // plus about 12 s for the restart: session timeout, rebalance, restore), so records keep arriving
  // and every kill lands while the victim is processing.
  const half = Math.floor(events.length / 5);
  await produceEvents(events.slice(0, half));
  say(`produced ${half} of ${events.length} events; application ${def.application}`);
  const dirs = Array.from({ length: opts.instances }, (_, i) =>
    join(opts.workDir, `${def.application}-state-${i}`),
  );
  const instances = dirs.map((d) => startInstance(configFile, d));
  const chunk = 2_000;
  const pauseMs = (opts.kills * ((upMin + upMax) / 2 + 12_000)) / Math.ceil((events.length - half) / chunk);
  const producing = (async () => {
    for (let i = half; i < events.length; i += chunk) {
      await produceEvents(events.slice(i, i + chunk));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();

  const wiped: string[] = [];
  const checkpoints: CrashRunResult['checkpoints'] = [];
  try {
    for (let k = 0; k < opts.kills; k++) {
      const victim = opts.instances === 1 ? 0 : Math.floor(rnd() * opts.instances);
      // The random moment counts from when the victim processes (a task of it runs), so every
      // kill lands in the middle of processing, not in a start-up or a rebalance.
      await runningTask(instances[victim]!, 90_000);
      await new Promise((r) => setTimeout(r, upMin + rnd() * (upMax - upMin)));
      await kill(instances[victim]!, 'SIGKILL');
      say(
        `kill ${k + 1}/${opts.kills}: SIGKILL instance ${victim} after ${Math.round((Date.now() - started) / 1000)} s`,
      );
      let before: Awaited<ReturnType<typeof inspectState>> | undefined;
      if (opts.instances === 1) {
        before = await inspectState(def, dirs[0]!, partitions, stores);
        checkpoints.push({
          offsets: before.reduce((n, t) => n + t.offsets, 0),
          rows: before.reduce((n, t) => n + t.rows, 0),
        });
      }
      instances[victim] = startInstance(configFile, dirs[victim]!);
      if (before) {
        // The restart's restore lines name the stores it had to rebuild from offset 0.
        const fresh = instances[victim];
        const deadline = Date.now() + 60_000;
        let restored: Array<Record<string, unknown>> = [];
        while (Date.now() < deadline && fresh.child.exitCode === null) {
          restored = logLines(fresh.stderr).filter((l) => /^task \d+ restored/.test(String(l.msg)));
          if (restored.length >= partitions) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        for (const line of restored) {
          const t = before.find((b) => b.task === line.task);
          for (const r of (line.rebuilt as string[] | undefined) ?? []) {
            const store = r.slice(0, r.indexOf(' ('));
            if (t?.checkpointed.includes(store)) wiped.push(`kill ${k + 1}, task ${t.task}: ${r}`);
          }
        }
      }
    }
    await producing;
    const deadline = Date.now() + (opts.settleTimeoutMs ?? 180_000);
    let streak = 0;
    while (streak < 2) {
      if (Date.now() > deadline) throw new Error('the instances did not catch up in time');
      for (const [i, inst] of instances.entries())
        if (inst.child.exitCode !== null)
          throw new Error(`instance ${i} exited by itself:\n${inst.stderr.slice(-3_000)}`);
      await new Promise((r) => setTimeout(r, 1_000));
      streak = (await caughtUp(def, inputs)) ? streak + 1 : 0;
    }
    if (opts.postgresUrl) {
      // The views follow the output topics: let them reach the end before the instances stop.
      const want = (await oracle(def, events)).tables;
      const until = Date.now() + 120_000;
      while (Date.now() < until) {
        const v = await viewsAgainstOracle(opts.postgresUrl, def, want).catch(() => null);
        if (v && isDeepStrictEqual(v.actual, v.expected)) break;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    say(`caught up after ${Math.round((Date.now() - started) / 1000)} s; stopping the instances`);
  } finally {
    await Promise.all(instances.map((i) => kill(i, 'SIGTERM')));
  }

  const expected = await oracle(def, events);
  const lastEventTime = events.reduce((m, e) => Math.max(m, e.timestamp), 0);
  // Several state directories may hold a copy of a task (it moved between instances): the one
  // with the highest checkpoints is the latest owner's.
  const actualStores = new Map<string, Map<string, unknown>>(stores.map((n) => [n, new Map()]));
  for (let p = 0; p < partitions; p++) {
    let best: { dir: string; offsets: number } | undefined;
    for (const dir of dirs) {
      const [state] = (await inspectState(def, dir, p + 1, stores)).slice(p);
      if (state && (!best || state.offsets > best.offsets)) best = { dir, offsets: state.offsets };
    }
    const s = await TaskStores.open({
      location: stateDirectory(best!.dir, def.application, p),
      changelogOf: (name) => ({ topic: changelogTopic(name), partition: p }),
    });
    try {
      for (const n of stores) for await (const [k, v] of s.store(n).scan()) actualStores.get(n)!.set(k, v);
    } finally {
      await s.close();
    }
  }
  return {
    application: def.application,
    events: events.length,
    kills: opts.kills,
    ms: Date.now() - started,
    tables: { actual: plain(await outputTables(def)), expected: plain(expected.tables) },
    stores: {
      actual: comparableStores(liveDedupEntries(withoutEmptiedGroups(actualStores), lastEventTime)),
      expected: comparableStores(liveDedupEntries(withoutEmptiedGroups(expected.stores), lastEventTime)),
    },
    wiped,
    checkpoints,
    ...(opts.postgresUrl ? { views: await viewsAgainstOracle(opts.postgresUrl, def, expected.tables) } : {}),
  };
}
