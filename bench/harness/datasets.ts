// The input of each scenario, generated deterministically from a seed, with the final values that a correct
// contender must produce. Values are JSON of about 200 bytes; amounts are integers so that sums are exact in
// both JavaScript doubles and Java longs.
import { canonicalJson } from '../../projections/keys.ts';
import { hash32, randomInt, seededRandom } from './rng.ts';
import { WINDOWS } from './scenarios.ts';

export interface InputRecord {
  key: string;
  value: string;
  timestamp: number;
}

export interface TopicInput {
  topic: string;
  /** Records in production order (generated lazily: 1M events are not held as strings). */
  count: number;
  record(i: number): InputRecord;
  /** Compacted topics model tables (join inputs); the rest are plain streams. */
  compact: boolean;
  /**
   * Records whose order per key matters (updates, where the last one wins) name their partition: the producer
   * then keeps each partition's records in order (one send at a time per partition).
   */
  partitionOf?: (i: number) => number;
}

export interface Dataset {
  inputs: TopicInput[];
  /** Records the contender consumes in total. */
  total: number;
  /** The expected final output table: key → JSON value (undefined = not verified). */
  expected?: Map<string, unknown>;
  /**
   * The same as `expected` for millions of keys, without a Map entry per key: key → its index, and the
   * expected `{"total": N}` of every index.
   */
  expectedTotals?: ExpectedTotals;
}

export interface ExpectedTotals {
  /** The key's index in `totals`, or -1 when the key is not expected. */
  indexOf(key: string): number;
  totals: Float64Array;
}

const pad = (s: string, size: number) =>
  s.length >= size ? s : s.slice(0, -1) + `,"note":"${'x'.repeat(Math.max(0, size - s.length - 10))}"}`;

/**
 * The `i`th order: key orderId, ~200 bytes, customerId from a seeded sequence. `placedAt` is its event time,
 * fixed by `i` (not the record timestamp): the same seed gives the same bytes in every run.
 */
function order(
  i: number,
  customerId: string,
  amount: number,
  timestamp: number,
  placedAt = EVENT_EPOCH + i,
): InputRecord {
  const orderId = `o-${String(i).padStart(8, '0')}`;
  const json = JSON.stringify({
    eventId: `e-${String(i).padStart(8, '0')}`,
    eventType: 'OrderPlaced',
    orderId,
    customerId,
    amount,
    currency: 'EUR',
    channel: i % 3 === 0 ? 'web' : i % 3 === 1 ? 'store' : 'phone',
    placedAt,
  });
  return { key: orderId, value: pad(json, 200), timestamp };
}

/** Event times (`placedAt`, `paidAt`) count from here: 2023-11-14, fixed, unrelated to the clock. */
export const EVENT_EPOCH = 1_700_000_000_000;

const customerId = (n: number) => `c-${String(n).padStart(6, '0')}`;

/**
 * Precomputes the seeded customer/amount sequence (two small typed arrays) so that `record(i)` is random-access
 * and the expected result can be computed without holding the records.
 */
function orderSequence(count: number, customers: number, seed: number) {
  const rng = seededRandom(seed);
  const cust = new Uint32Array(count);
  const amount = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    cust[i] = randomInt(rng, customers);
    amount[i] = 1 + randomInt(rng, 10_000);
  }
  return { cust, amount };
}

// Timestamps lie in the past (brokers reject records more than an hour ahead), 1 ms apart, input order.
const baseTime = (count: number) => Date.now() - count - 60_000;

/** (a) group-by-sum: orders keyed by orderId, summed per customerId. */
export function groupBySumDataset(topic: string, count: number, customers: number, seed: number): Dataset {
  const { cust, amount } = orderSequence(count, customers, seed);
  const t0 = baseTime(count);
  const totals = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const c = customerId(cust[i] as number);
    totals.set(c, (totals.get(c) ?? 0) + (amount[i] as number));
  }
  const expected = new Map<string, unknown>([...totals].map(([k, v]) => [k, { total: v }]));
  return {
    inputs: [
      {
        topic,
        count,
        compact: false,
        record: (i) => order(i, customerId(cust[i] as number), amount[i] as number, t0 + i),
      },
    ],
    total: count,
    expected,
  };
}

/** (b) foreign-key join: customers (a table) first, then orders (a table keyed by orderId). */
export function fkJoinDataset(
  ordersTopic: string,
  customersTopic: string,
  orders: number,
  customers: number,
  seed: number,
): Dataset {
  const { cust, amount } = orderSequence(orders, customers, seed);
  const t0 = baseTime(orders + customers);
  const name = (n: number) => `Customer ${n}`;
  const expected = new Map<string, unknown>();
  for (let i = 0; i < orders; i++) {
    const c = cust[i] as number;
    expected.set(`o-${String(i).padStart(8, '0')}`, {
      customerId: customerId(c),
      amount: amount[i],
      customer: name(c),
    });
  }
  return {
    inputs: [
      {
        topic: customersTopic,
        count: customers,
        compact: true,
        record: (n) => {
          const json = JSON.stringify({
            customerId: customerId(n),
            name: name(n),
            tier: ['gold', 'silver', 'bronze'][n % 3],
            country: ['DE', 'FR', 'NL', 'SE'][n % 4],
            email: `customer${n}@example.com`,
            since: EVENT_EPOCH - n,
          });
          return { key: customerId(n), value: pad(json, 200), timestamp: t0 + n };
        },
      },
      {
        topic: ordersTopic,
        count: orders,
        compact: true,
        record: (i) => order(i, customerId(cust[i] as number), amount[i] as number, t0 + customers + i),
      },
    ],
    total: orders + customers,
    expected,
  };
}

/** A plain (not compacted) input topic of `count` records. */
const streamInput = (topic: string, count: number, record: (i: number) => InputRecord): TopicInput => ({
  topic,
  count,
  compact: false,
  record,
});

/** (c) restore: one event per key, so the store (and its changelog) ends with `count` rows. */
export function restoreDataset(topic: string, count: number, seed: number): Dataset {
  const { amount } = orderSequence(count, 1, seed);
  const t0 = baseTime(count);
  return {
    inputs: [
      streamInput(topic, count, (i) => {
        const r = order(i, customerId(i % 20_000), amount[i] as number, t0 + i);
        return { ...r, key: `k-${String(i).padStart(8, '0')}` };
      }),
    ],
    total: count,
  };
}

/** How a view update's value is written: streamfold's output JSON, or Kafka Connect's JSON with its schema. */
export type UpdateEncoding = 'streamfold' | 'connect-json';

const TOTAL_SCHEMA = {
  type: 'struct',
  name: 'totals',
  optional: false,
  fields: [{ field: 'total', type: 'int64', optional: false }],
};

/**
 * (h) the changelog of (a)'s output, one update per order: key customerId, value the customer's running
 * total after that order (what (a) emits without collapsing updates between commits). Same seed as (a), so
 * the final rows are (a)'s expected totals.
 */
export function viewUpdatesDataset(
  topic: string,
  count: number,
  customers: number,
  seed: number,
  encoding: UpdateEncoding,
  partitions: number,
): Dataset {
  const { cust, amount } = orderSequence(count, customers, seed);
  const running = new Float64Array(count);
  const totals = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const c = customerId(cust[i] as number);
    const total = (totals.get(c) ?? 0) + (amount[i] as number);
    totals.set(c, total);
    running[i] = total;
  }
  const t0 = baseTime(count);
  const value = (total: number) =>
    encoding === 'streamfold'
      ? JSON.stringify({ total })
      : JSON.stringify({ schema: TOTAL_SCHEMA, payload: { total } });
  return {
    inputs: [
      {
        topic,
        count,
        compact: true,
        partitionOf: (i) => (cust[i] as number) % partitions,
        record: (i) => ({
          key: customerId(cust[i] as number),
          value: value(running[i] as number),
          timestamp: t0 + i,
        }),
      },
    ],
    total: count,
    expected: new Map([...totals].map(([k, v]) => [k, { total: v }])),
  };
}

/**
 * (f) the orders of (a) (same seed, same bytes), counted per customer and 1-minute tumbling window of their
 * event time `placedAt` (1 ms apart, so 1M orders span about 17 minutes: windows close and expire while the
 * input is processed). Output keys are streamfold's JSON windowed keys, values `{count}`.
 */
export function windowedCountDataset(topic: string, count: number, customers: number, seed: number): Dataset {
  const base = groupBySumDataset(topic, count, customers, seed);
  const { cust } = orderSequence(count, customers, seed);
  const size = WINDOWS.countSizeMs;
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const start = Math.floor((EVENT_EPOCH + i) / size) * size;
    const key = windowedOutputKey(customerId(cust[i] as number), start, start + size);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { ...base, expected: new Map([...counts].map(([k, n]) => [k, { count: n }])) };
}

/** A windowed aggregate's record key on streamfold's output topics (canonical JSON, docs/windows.md). */
export const windowedOutputKey = (key: string, start: number, end: number): string =>
  canonicalJson({ key, window: { start, end } });

/**
 * (g) stream–stream join: `orders` orders (keyed by orderId, `placedAt` JOIN_SPACING_MS apart), then one
 * payment per order (keyed by orderId, `paidAt` a seeded delay in [0, within) after its order), produced in
 * `paidAt` order as payments would arrive. Every order finds its payment: the expected output is one row
 * per order.
 */
export function streamJoinDataset(
  ordersTopic: string,
  paymentsTopic: string,
  orders: number,
  customers: number,
  seed: number,
): Dataset {
  const { cust, amount } = orderSequence(orders, customers, seed);
  const rng = seededRandom(seed + 1);
  const placedAt = (i: number) => EVENT_EPOCH + i * WINDOWS.joinSpacingMs;
  const paidAt = new Float64Array(orders);
  for (let i = 0; i < orders; i++) paidAt[i] = placedAt(i) + randomInt(rng, WINDOWS.joinWithinMs);
  const byPaidAt = Uint32Array.from({ length: orders }, (_, i) => i).sort(
    (a, b) => (paidAt[a] as number) - (paidAt[b] as number) || a - b,
  );
  const t0 = baseTime(2 * orders);
  const orderId = (i: number) => `o-${String(i).padStart(8, '0')}`;
  const expected = new Map<string, unknown>();
  for (let i = 0; i < orders; i++)
    expected.set(orderId(i), {
      customerId: customerId(cust[i] as number),
      amount: amount[i],
      paidAt: paidAt[i],
    });
  return {
    inputs: [
      {
        topic: ordersTopic,
        count: orders,
        compact: false,
        record: (i) => order(i, customerId(cust[i] as number), amount[i] as number, t0 + i, placedAt(i)),
      },
      {
        topic: paymentsTopic,
        count: orders,
        compact: false,
        record: (n) => {
          const i = byPaidAt[n] as number;
          const json = JSON.stringify({
            eventId: `p-${String(i).padStart(8, '0')}`,
            eventType: 'PaymentReceived',
            orderId: orderId(i),
            amount: amount[i],
            currency: 'EUR',
            method: i % 2 === 0 ? 'card' : 'transfer',
            paidAt: paidAt[i],
          });
          return { key: orderId(i), value: pad(json, 200), timestamp: t0 + orders + n };
        },
      },
    ],
    total: 2 * orders,
    expected,
  };
}

/** (i): 1–1000, a function of the event's index and the seed, so that no per-event array is held. */
const largeStateAmount = (i: number, seed: number) => 1 + (hash32(i ^ seed) % 1000);

const LARGE_KEY_DIGITS = 9;
const largeKey = (n: number) => `k-${String(n).padStart(LARGE_KEY_DIGITS, '0')}`;

/**
 * (i) many distinct keys: `keys` × `eventsPerKey` deposits of ~120 bytes, keyed by account, summed per key.
 * Round-robin over the keys (event i belongs to key i mod keys), so a key's events are `keys` events apart
 * and no cache smaller than the whole state holds the working set. Held in memory: the expected totals
 * (8 bytes per key), never a value per event.
 */
export function largeStateDataset(topic: string, keys: number, eventsPerKey: number, seed: number): Dataset {
  const count = keys * eventsPerKey;
  const totals = new Float64Array(keys);
  for (let i = 0; i < count; i++) totals[i % keys] = (totals[i % keys] as number) + largeStateAmount(i, seed);
  const t0 = baseTime(count);
  return {
    inputs: [
      streamInput(topic, count, (i) => {
        const key = largeKey(i % keys);
        const value = JSON.stringify({
          eventId: `e-${String(i).padStart(LARGE_KEY_DIGITS + 1, '0')}`,
          eventType: 'Deposited',
          accountId: key,
          amount: largeStateAmount(i, seed),
          at: EVENT_EPOCH + i,
        });
        return { key, value, timestamp: t0 + i };
      }),
    ],
    total: count,
    expectedTotals: {
      totals,
      indexOf: (key) => {
        const n = key.length === LARGE_KEY_DIGITS + 2 && key.startsWith('k-') ? Number(key.slice(2)) : NaN;
        return Number.isInteger(n) && n < keys ? n : -1;
      },
    },
  };
}
