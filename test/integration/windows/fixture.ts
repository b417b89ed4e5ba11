// The windowed application of the broker tests, its input in phases, and a per-partition oracle.
//
// - clicks_per_minute: tumbling 1 min, grace 10 s, retention 2 min, emit changes, late → drop;
// - clicks_final: the same windows with the default retention, emit final, late → dead letter;
// - clicks_binary: clicks_final's rows under Kafka Streams' binary windowed keys;
// - paid: orders left-joined with payments within 10 min after the order, grace 1 min, late → dead letter.
//
// Every phase is processed completely before the next is produced. Within a phase the records
// of one topic partition are processed in produce order, and the phases are built so that the
// order in which a task interleaves its topics (orders vs payments) cannot change a result: no
// join window closes inside a phase. So the expected output is exactly the pure engine's, run
// once per partition (stream time per partition, as the runtime's tasks have it) over the same
// records in the same order. No projection re-keys, so no exchange topic mixes partitions.
import type { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { encodeKey } from '../../../projections/keys.ts';
import type { LateRecord } from '../../../projections/operators/types.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { uniqueTopic } from '../helpers.ts';
import type { SeedEvent } from '../runtime/harness.ts';

export const PARTITIONS = 2;
export const MINUTE = 60_000;
/** A whole minute, so windows start at T0 + m minutes. */
export const T0 = 28_333_334 * MINUTE;
export const USERS = Array.from({ length: 8 }, (_, i) => `u${i}`);
export const ORDERS = Array.from({ length: 20 }, (_, i) => `o${i}`);

export interface WindowsApp {
  definition: Definition;
  topics: { clicks: string; orders: string; payments: string; dlq: string };
}

export function windowsApp(guarantee: 'exactly_once' | 'at_least_once'): WindowsApp {
  const app = uniqueTopic('win').replaceAll('-', '_');
  const topics = {
    clicks: `${app}-clicks`,
    orders: `${app}-orders`,
    payments: `${app}-payments`,
    dlq: `${app}-dlq`,
  };
  const yaml = `
application: ${app}
processing: { guarantee: ${guarantee}, commitIntervalMs: 100 }
deadLetterTopic: ${topics.dlq}
sources:
  clicks:   { topic: ${topics.clicks}, key: user, time: ts }
  orders:   { topic: ${topics.orders}, key: orderId, time: ts }
  payments: { topic: ${topics.payments}, key: orderId, time: ts }
projections:
  clicks_per_minute:
    from: clicks
    window: { type: tumbling, size: 1m, grace: 10s, retention: 2m }
    aggregate: { clicks: { count: "*" }, amount: { sum: amount } }
    select: { start: windowStart, clicks: clicks, amount: amount }
  clicks_final:
    from: clicks
    window: { type: tumbling, size: 1m, grace: 10s }
    emit: final
    late: deadLetter
    aggregate: { clicks: { count: "*" } }
  clicks_binary:
    from: clicks
    window: { type: tumbling, size: 1m, grace: 10s }
    emit: final
    aggregate: { clicks: { count: "*" } }
    output: { windowedKey: binary }
  paid:
    from: orders
    join: { stream: payments, type: left, as: payment, within: { before: 0, after: 10m }, grace: 1m }
    late: deadLetter
    select: { total: total, paid: payment.amount }
`;
  return { definition: parseConfig(yaml, 'windows.yaml', {}), topics };
}

const click = (a: WindowsApp, user: string, at: number, amount: number): SeedEvent => ({
  topic: a.topics.clicks,
  key: user,
  timestamp: at,
  value: { user, ts: at, amount },
});
const order = (a: WindowsApp, id: string, at: number): SeedEvent => ({
  topic: a.topics.orders,
  key: id,
  timestamp: at,
  value: { orderId: id, ts: at, total: 10 + Number(id.slice(1)) },
});
const payment = (a: WindowsApp, id: string, at: number, amount: number): SeedEvent => ({
  topic: a.topics.payments,
  key: id,
  timestamp: at,
  value: { orderId: id, ts: at, amount },
});

/** A key of the given partition (prefix + n). */
export function keyIn(prefix: string, partition: number): string {
  for (let n = 0; ; n++)
    if (partitionOfKey(`${prefix}${n}`, PARTITIONS) === partition) return `${prefix}${n}`;
}

/**
 * Phase 1: five minutes of clicks (three per user and minute), each minute's last click arriving
 * out of order but within grace, and one late click per minute (after its window's grace); orders,
 * even ones paid 2 minutes later, o1 "paid" before it was placed (outside `before: 0`).
 */
export function phase1(a: WindowsApp): SeedEvent[] {
  const out: SeedEvent[] = [];
  for (let m = 0; m < 5; m++) {
    const at = (s: number) => T0 + m * MINUTE + s * 1000;
    for (const u of USERS) out.push(click(a, u, at(5), m + 1));
    // the previous minute's last click, 10 s out of order: within grace (window end + 10 s)
    if (m > 0) for (const u of USERS) out.push(click(a, u, at(-5), 100));
    for (const u of USERS) out.push(click(a, u, at(25), m + 1));
    // 35 s late for the previous window: dropped
    if (m > 0) out.push(click(a, USERS[0]!, at(-10), 1000));
    for (const u of USERS) out.push(click(a, u, at(45), m + 1));
  }
  ORDERS.forEach((id, i) => {
    out.push(order(a, id, T0 + i * 10_000));
    if (i % 2 === 0) out.push(payment(a, id, T0 + i * 10_000 + 2 * MINUTE, 5 * i));
  });
  out.push(payment(a, 'o1', T0 - MINUTE, 99));
  return out;
}

/** Phase 2: stream time jumps an hour ahead on every partition: windows close and expire. */
export function phase2(a: WindowsApp): SeedEvent[] {
  const later = T0 + 60 * MINUTE;
  return Array.from({ length: PARTITIONS }, (_, p) => [
    click(a, keyIn('clock', p), later, 1),
    order(a, keyIn('o-clock', p), later),
  ]).flat();
}

/**
 * Phase 3: records far behind stream time: a click (late for both windows), o3's payment (its order
 * left the buffer, but the payments' buffer still takes it), and an order later than the join window
 * + grace behind the orders (late for the join: not buffered, padded at once).
 */
export const LATE_ORDER = 'o50';
export function phase3(a: WindowsApp): SeedEvent[] {
  return [
    click(a, USERS[1]!, T0 + 30_000, 7),
    payment(a, 'o3', T0 + 30_000 + MINUTE, 33),
    order(a, LATE_ORDER, T0 + 2 * MINUTE),
  ];
}

export interface Expected {
  /** projection → every output record `[encoded key, value]`, per key in emit order. */
  records: Map<string, Array<[string, unknown]>>;
  late: LateRecord[];
  /** store → key → value, merged over the partitions' executors. */
  stores: Map<string, Map<string, unknown>>;
}

/** The pure engine, one executor per partition, over the phases in order. */
export async function perPartitionOracle(definition: Definition, phases: SeedEvent[][]): Promise<Expected> {
  const topology = compileTopology(definition);
  const records = new Map<string, Array<[string, unknown]>>();
  const executors = Array.from(
    { length: PARTITIONS },
    () =>
      new Executor(topology, {
        json: true,
        collect: false,
        onOutput: (o) => {
          const list = records.get(o.projection) ?? [];
          list.push([encodeKey(o.key), o.value]);
          records.set(o.projection, list);
        },
      }),
  );
  for (const events of phases)
    for (const e of events)
      executors[partitionOfKey(e.key, PARTITIONS)]!.process({
        topic: e.topic,
        key: e.key,
        value: e.value,
        timestamp: e.timestamp,
      });
  const stores = new Map<string, Map<string, unknown>>();
  for (const exec of executors)
    for (const sub of topology.subTopologies)
      for (const s of sub.stores) {
        const rows = stores.get(s.name) ?? new Map<string, unknown>();
        for await (const [k, v] of exec.stores.store(s.name).scan()) rows.set(k, v);
        stores.set(s.name, rows);
      }
  return { records, late: executors.flatMap((e) => e.late), stores };
}

/** Records grouped by key, each key's in order (output partitions need not be task partitions). */
export function byKey(records: Array<[string, unknown]>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of records) (out[k] ??= []).push(v);
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => (x < y ? -1 : 1)));
}

/** Live keys (last record not a tombstone) and tombstones of a changelog's records. */
export function changelogKeys(records: Array<{ key: string | null; value: string | null }>): {
  live: Set<string>;
  tombstones: number;
} {
  const last = new Map<string, boolean>();
  let tombstones = 0;
  for (const r of records) {
    if (r.key === null) continue;
    last.set(r.key, r.value !== null);
    if (r.value === null) tombstones++;
  }
  return { live: new Set([...last].filter(([, alive]) => alive).map(([k]) => k)), tombstones };
}
