// Shared pieces of the runtime's integration tests: the shop definition on unique topics, a
// deterministic seed-domain event generator, the pure Executor as the oracle, and readers for the
// runtime's output topics and stores.
import { readFileSync } from 'node:fs';
import { Partitioners } from 'kafkajs';
import type { Definition } from '../../../projections/definition/schema.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { compileTopology, joinsOf } from '../../../projections/graph/compile.ts';
import { joinTarget } from '../../../projections/definition/schema.ts';
import { encodeKey } from '../../../projections/keys.ts';
import { parseWindowRowKey } from '../../../projections/windows/keys.ts';
import { scanRows } from '../../../projections/rows/index.ts';
import { MemoryStore } from '../../../projections/store.ts';
import { isRow } from '../../../projections/operators/types.ts';
import { subscriptionTriples } from '../../../projections/operators/subscriptions.ts';
import { Application, type ApplicationOptions } from '../../../runtime/app/index.ts';
import { changelogTopic } from '../../../runtime/kafka/admin/index.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { createLogger } from '../../../runtime/log/logger.ts';
import { stateDirectory, TaskStores } from '../../../runtime/stores/index.ts';
import { createTopics, kafka, readToEnd, uniqueTopic } from '../helpers.ts';

export interface ShopApp {
  definition: Definition;
  topics: { accounts: string; orders: string; customers: string };
}

/**
 * The repository's example definition (projections.yaml) with a unique application id and topics.
 * Without `windows: true`, the windowed examples (daily_revenue, paid_orders) are left out, for two
 * reasons:
 *
 * 1. The single-executor oracle advances one stream time over all partitions, while each task
 *    advances its own, as in Kafka Streams, so which windows have closed at the end of the input
 *    differs (e.g. an order near the end of its partition whose join window only the oracle has
 *    seen close). An oracle run per partition fixes this one (test/integration/windows/fixture.ts
 *    has one, for topologies without exchange topics).
 * 2. Even per partition, the result depends on the order in which a task interleaves its inputs,
 *    which no oracle can know: both examples read an exchange (daily_revenue's repartition topic,
 *    filled by every source partition; paid_orders' feed of order_payments, written at commit, so
 *    it trails the orders topic by up to a commit's records). The runtime takes records in fetch
 *    order, not by lowest timestamp across a task's inputs as Kafka Streams' PartitionGroup does,
 *    so a payment can reach the join after stream time has passed its order's window (the order is
 *    then padded with null, and may have left the buffer), and a repartitioned record can be late
 *    for daily_revenue when one source partition runs ahead by more than the grace. With the
 *    generator's ~1 s between events (the crash test) that skew is minutes of event time.
 *
 * end-to-end.test.ts opts them in: its 3 000 events span 30 s of event time, far inside both
 * windows, so neither effect can occur and every oracle agrees.
 */
export function shopDefinition(
  prefix: string,
  overrides: Partial<Definition> = {},
  options: { windows?: boolean; extraProjections?: string } = {},
): ShopApp {
  const extra = options.extraProjections ?? '';
  const text = `${readFileSync(new URL('../../../projections.yaml', import.meta.url), 'utf8')}\n${extra}`;
  const definition = structuredClone(parseConfig(text, 'projections.yaml', {}));
  // extraProjections (YAML under `projections:`, indented two spaces) are always kept
  const kept = new Set([...extra.matchAll(/^ {2}([A-Za-z_][A-Za-z0-9_]*):/gm)].map((m) => m[1]));
  if (!options.windows)
    for (const [name, p] of Object.entries(definition.projections)) {
      if (kept.has(name)) continue;
      if (p.window || joinsOf(p).some((j) => 'within' in j)) delete definition.projections[name];
    }
  // ... and what only fed them (a projection without an output topic that nothing reads now)
  const read = new Set(
    Object.values(definition.projections).flatMap((p) => [p.from, ...joinsOf(p).map(joinTarget)]),
  );
  for (const [name, p] of Object.entries(definition.projections))
    if (p.output === false && !read.has(name)) delete definition.projections[name];
  // Views need a database: the tests that want them add them (test/integration/views/postgres.ts).
  delete definition.postgres;
  for (const p of Object.values(definition.projections)) delete p.views;
  // The read side only: the commands' hidden state projections would add stores and work to every
  // test of the shop (commands have their own tests, test/integration/commands/).
  delete definition.commands;
  const app = uniqueTopic(prefix).replaceAll('-', '_');
  definition.application = app;
  const topics = { accounts: `${app}-accounts`, orders: `${app}-orders`, customers: `${app}-customers` };
  definition.sources.accounts!.topic = topics.accounts;
  definition.sources.orders!.topic = topics.orders;
  definition.sources.customers!.topic = topics.customers;
  return { definition: { ...definition, ...overrides }, topics };
}

/** Source topics keep records forever: the seed events carry old timestamps, which the broker's
 *  time-based retention (checked every 10 s) would otherwise delete under the test's feet. */
export async function createSources(shop: ShopApp, partitions = 3): Promise<void> {
  await createTopics(Object.values(shop.topics), { partitions, configs: { 'retention.ms': -1 } });
}

export interface SeedEvent {
  topic: string;
  key: string;
  value: Record<string, unknown>;
  timestamp: number;
}

/** mulberry32: a small deterministic PRNG. */
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

/**
 * Accounts, orders with items, and customers, interleaved. Prices and amounts are integers so sums
 * do not depend on the order in which partitions are merged (floating point addition would).
 */
export function seedEvents(shop: ShopApp, count: number, seed = 42, start = 0): SeedEvent[] {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const customers = new Map<string, boolean>();
  const accounts = new Map<string, boolean>();
  const orders = new Map<string, boolean>();
  const names = ['Ann', 'Bob', 'Cid', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal'];
  const tiers = ['bronze', 'silver', 'gold'];
  const events: SeedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const timestamp = 1_700_000_000_000 + (start + i) * 10;
    const eventId = `e${seed}-${start + i}`;
    const r = rnd();
    if (r < 0.15) {
      const id = `c${int(0, 24)}`;
      let value: Record<string, unknown>;
      if (!customers.get(id)) {
        value = { eventType: 'CustomerRegistered', name: pick(names), tier: pick(tiers) };
        customers.set(id, true);
      } else {
        const q = rnd();
        if (q < 0.05) {
          value = { eventType: 'CustomerDeleted' };
          customers.set(id, false);
        } else if (q < 0.55) value = { eventType: 'CustomerRenamed', name: `${pick(names)} ${int(1, 99)}` };
        else value = { eventType: 'CustomerTierChanged', tier: pick(tiers) };
      }
      events.push({
        topic: shop.topics.customers,
        key: id,
        timestamp,
        value: { ...value, customerId: id, eventId, timestamp },
      });
    } else if (r < 0.55) {
      const id = `a${int(0, 59)}`;
      let value: Record<string, unknown>;
      if (!accounts.get(id)) {
        value = { eventType: 'AccountCreated', owner: pick(names) };
        accounts.set(id, true);
      } else {
        const q = rnd();
        if (q < 0.03) {
          value = { eventType: 'AccountClosed' };
          accounts.set(id, false);
        } else if (q < 0.7) value = { eventType: 'MoneyDeposited', amount: int(1, 500) };
        else value = { eventType: 'MoneyWithdrawn', amount: int(1, 200) };
      }
      events.push({
        topic: shop.topics.accounts,
        key: id,
        timestamp,
        value: { ...value, accountId: id, eventId, timestamp },
      });
    } else {
      const id = `o${int(0, 199)}`;
      let value: Record<string, unknown>;
      if (!orders.get(id)) {
        const items = Array.from({ length: int(1, 4) }, () => ({ sku: `s${int(1, 30)}`, price: int(1, 90) }));
        value = { eventType: 'OrderPlaced', customerId: `c${int(0, 24)}`, items };
        orders.set(id, true);
      } else {
        const q = rnd();
        if (q < 0.05) {
          value = { eventType: 'OrderCancelled' };
          orders.set(id, false);
        } else if (q < 0.15) value = { eventType: 'OrderReassigned', customerId: `c${int(0, 24)}` };
        else if (q < 0.25) value = { eventType: 'OrderPaid', amount: int(1, 300) };
        else if (q < 0.7) value = { eventType: 'ItemAdded', sku: `s${int(1, 30)}`, price: int(1, 90) };
        else value = { eventType: 'ItemRemoved', sku: `s${int(1, 30)}`, price: int(1, 40) };
      }
      events.push({
        topic: shop.topics.orders,
        key: id,
        timestamp,
        value: { ...value, orderId: id, eventId, timestamp },
      });
    }
  }
  return events;
}

/** Produces with the default (murmur2) partitioner, so each entity's events share a partition. */
export async function produceEvents(events: SeedEvent[]): Promise<void> {
  const producer = kafka('streamfold-test-seed').producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 2_000) {
      const byTopic = new Map<string, Array<{ key: string; value: string; timestamp: string }>>();
      for (const e of events.slice(i, i + 2_000)) {
        const list = byTopic.get(e.topic) ?? [];
        list.push({ key: e.key, value: JSON.stringify(e.value), timestamp: String(e.timestamp) });
        byTopic.set(e.topic, list);
      }
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export type Tables = Map<string, Map<string, unknown>>;

export interface Oracle {
  /** projection → encoded key → final row (deleted keys absent) */
  tables: Tables;
  /** store → key → value */
  stores: Map<string, Map<string, unknown>>;
}

/** The pure engine over the same events: the expected final tables and store contents. */
/** The group's committed offset of each partition of `topic` (-1: none), as the admin client reads it. */
export async function committedOffsets(group: string, topic: string): Promise<number[]> {
  const admin = kafka('streamfold-test-offsets').admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return (t?.partitions ?? []).map((p) => Number(p.offset));
  } finally {
    await admin.disconnect();
  }
}

export async function oracle(definition: Definition, events: SeedEvent[]): Promise<Oracle> {
  const topology = compileTopology(definition);
  const tables: Tables = new Map(topology.projections.map((p) => [p.name, new Map<string, unknown>()]));
  const exec = new Executor(topology, {
    json: true,
    collect: false,
    onOutput: (o) => {
      const t = tables.get(o.projection)!;
      if (o.value === null) t.delete(encodeKey(o.key));
      else t.set(encodeKey(o.key), o.value);
    },
  });
  for (const e of events)
    exec.process({ topic: e.topic, key: e.key, value: e.value, timestamp: e.timestamp });
  const stores = new Map<string, Map<string, unknown>>();
  for (const sub of topology.subTopologies) {
    for (const s of sub.stores) {
      const rows = new Map<string, unknown>();
      for await (const [k, v] of exec.stores.store(s.name).scan()) rows.set(k, v);
      stores.set(s.name, rows);
    }
  }
  return { tables, stores };
}

/** Final tables as the output topics hold them: the last record per key, tombstones removing it. */
export async function outputTables(definition: Definition): Promise<Tables> {
  const topology = compileTopology(definition);
  const tables: Tables = new Map();
  for (const p of topology.projections) {
    const t = new Map<string, unknown>();
    if (p.topic) {
      for (const r of await readToEnd(p.topic)) {
        if (r.key === null) continue;
        if (r.value === null) t.delete(r.key);
        else t.set(r.key, JSON.parse(r.value));
      }
    }
    tables.set(p.name, t);
  }
  return tables;
}

/** Every store's committed rows, over all task databases in the state directory (app stopped). */
export async function storeContents(
  definition: Definition,
  stateDir: string,
  tasks: number,
): Promise<Map<string, Map<string, unknown>>> {
  const out = new Map<string, Map<string, unknown>>();
  for (const task of await taskStoreContents(definition, stateDir, tasks))
    for (const [n, rows] of task) {
      const all = out.get(n) ?? new Map<string, unknown>();
      for (const [k, v] of rows) all.set(k, v);
      out.set(n, all);
    }
  return out;
}

/** Every store of the topology, per task (a window store's meta is the task's own). */
export async function taskStoreContents(
  definition: Definition,
  stateDir: string,
  tasks: number,
): Promise<Array<Map<string, Map<string, unknown>>>> {
  const topology = compileTopology(definition);
  const names = [...new Set(topology.subTopologies.flatMap((s) => s.stores.map((x) => x.name)))];
  const out: Array<Map<string, Map<string, unknown>>> = [];
  for (let p = 0; p < tasks; p++) {
    const task = new Map(names.map((n) => [n, new Map<string, unknown>()]));
    const stores = await TaskStores.open({
      location: stateDirectory(stateDir, definition.application, p),
      changelogOf: (s) => ({ topic: changelogTopic(s), partition: p }),
    });
    try {
      for (const n of names) for await (const [k, v] of stores.store(n).scan()) task.get(n)!.set(k, v);
    } finally {
      await stores.close();
    }
    out.push(task);
  }
  return out;
}

export function startApp(
  definition: Definition,
  stateDir: string,
  extra: Partial<ApplicationOptions> = {},
): Application {
  return new Application({
    definition,
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    stateDir,
    progress: 'log',
    sessionTimeoutMs: 6_000,
    // STREAMFOLD_TEST_APP_LOG=info|debug shows the applications' logs (default: silent).
    ...(process.env.STREAMFOLD_TEST_APP_LOG
      ? { logger: createLogger({ level: process.env.STREAMFOLD_TEST_APP_LOG }) }
      : {}),
    ...extra,
  });
}

/** Waits until the application has tasks and every one of them runs (restored). */
export async function tasksRunning(app: Application, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (app.taskIds().length === 0 || app.status().tasks.some((t) => t.state !== 'running')) {
    if (Date.now() > deadline) throw new Error('tasks not running');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the application has processed and committed everything (twice in a row, to let exchanges settle). */
export async function waitCaughtUp(app: Application, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  while (streak < 2) {
    if (Date.now() > deadline)
      throw new Error(`not caught up after ${timeoutMs} ms: ${JSON.stringify(app.status())}`);
    await new Promise((r) => setTimeout(r, 250));
    streak = (await app.caughtUp()) ? streak + 1 : 0;
  }
}

/**
 * Stores whose values depend on the order in which partitions interleave, not only on the input:
 * dedup stores keep a per-task stream time: for them only the set of keys is compared. FK
 * subscription stores keep subscribers in arrival order, split into buckets by their peak count:
 * their (foreign key, left key, hash) triples are compared. Final-row stores keep the time of a row's last change,
 * which for a join depends on which side arrived last: their rows are compared without it; so are
 * group states (the time of a group's last update, for a repartitioned group).
 *
 * Window and windowed-join stores also hold one bookkeeping entry per partition: `m` (the task's
 * stream time and live window times), `x\0<segment>\0<chunk>` (the windows of a time segment, in arrival order) and
 * a join's held unmatched records (`h`, with the join's stream time). The oracle runs all
 * partitions in one executor and the merged task stores keep only one partition's entry, so these
 * are left out; the window states and buffered records they index are compared. A buffered join
 * record keeps its origin (topic, partition, offset), which the single-partition oracle cannot
 * reproduce: it is compared without it.
 */
const ORDER_DEPENDENT = /-dedup$/;
const FK_SUBSCRIPTIONS = /-fk-subscriptions$/;
const FINAL_ROWS = /-rows$/;
const GROUP_STATES = /-agg$/;
const withoutTime = (state: unknown): unknown => {
  const { t: _t, ...rest } = state as Record<string, unknown>;
  return rest;
};

const JOIN_BUFFERS = /-join-(left|right)$/;
/** A key's buffered records, `[timestamp, records[]][]` (projections/windows/join-buffer.ts), without origins. */
const withoutOrigins = (buffered: unknown): unknown =>
  Array.isArray(buffered)
    ? buffered.map((slot) =>
        Array.isArray(slot) && Array.isArray(slot[1])
          ? [slot[0], slot[1].map((r: unknown) => (isRow(r) ? { ...r, m: null } : r))]
          : slot,
      )
    : buffered;
const isWindowBookkeeping = (key: string, value: unknown): boolean =>
  key.startsWith('x\0') ||
  (key === 'm' && isRow(value) && 'st' in value && 'b' in value) ||
  (key === 'h' && isRow(value) && 'st' in value && 'h' in value);

export function comparableStores(stores: Map<string, Map<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, all] of [...stores].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const rows = new Map(
      [...all]
        .filter(([k, v]) => !isWindowBookkeeping(k, v))
        .map(([k, v]) => [k, JOIN_BUFFERS.test(name) ? withoutOrigins(v) : v]),
    );
    if (FK_SUBSCRIPTIONS.test(name)) out[name] = subscriptionTriples(rows);
    else if (ORDER_DEPENDENT.test(name))
      out[name] = [...rows.keys()].filter((k) => !k.startsWith('\x01')).sort();
    else if (FINAL_ROWS.test(name))
      out[name] = Object.fromEntries(
        [...rows].map(([k, r]) => [k, (r as { v: unknown }).v]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
      );
    else if (GROUP_STATES.test(name))
      out[name] = Object.fromEntries(
        [...rows].map(([k, r]) => [k, withoutTime(r)]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
      );
    else out[name] = Object.fromEntries([...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return out;
}

/** Maps → plain objects with sorted keys, for deepEqual diffs that read well. */
export function plain(tables: Map<string, Map<string, unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, rows] of [...tables].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[name] = Object.fromEntries([...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return out;
}

/**
 * Every table projection's final rows as queries read them (derived or from a rows store), from
 * each task's stores, keyed as on the output topics (a windowed row `<key>\0<start>\0<end>` as
 * `{key, window}`).
 */
export async function queriedRows(
  definition: Definition,
  tasks: Array<Map<string, Map<string, unknown>>>,
): Promise<Tables> {
  const out: Tables = new Map();
  for (const p of compileTopology(definition).projections) {
    if (!p.rows) continue;
    const rows = new Map<string, unknown>();
    for (const task of tasks) {
      const store = new MemoryStore();
      for (const [k, v] of task.get(p.rows.store) ?? []) store.put(k, v);
      for await (const [k, row] of scanRows(store, p.rows)) {
        const w = p.window ? parseWindowRowKey(k) : undefined;
        rows.set(w ? encodeKey({ key: outputGroupKey(w.key), window: w.window }) : k, row.v);
      }
    }
    out.set(p.name, rows);
  }
  return out;
}

/**
 * The group key of a windowed row: encodeKey wrote a string key as it is and any other key as
 * canonical JSON (the shop's group keys are strings that are not JSON, so this cannot mistake one).
 */
function outputGroupKey(encoded: string): unknown {
  try {
    const v: unknown = JSON.parse(encoded);
    return typeof v === 'string' ? encoded : v;
  } catch {
    return encoded;
  }
}
