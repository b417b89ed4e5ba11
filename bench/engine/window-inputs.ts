// The inputs and definitions of the bench's (f) and (g), one partition's share, for the pure-engine
// window benches (window-store-writes.ts, window-task-cpu.ts). Deterministic (seeded):
//
//   (f) 1-minute tumbling count, grace 2 min, over orders 1 ms apart in event time (every 6th order of
//       1M, i.e. a 6-partition task) from 20 000 / 6 customers;
//   (g) inner join orders × payments within 10 min, grace 15 min: orders 10 ms apart, each payment a
//       seeded delay in [0, 10 min) later, both sides merged in event-time order.

const MINUTE = 60_000;

/** A seeded generator (mulberry32), so both layouts see the same input. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function* tumblingInput(EVENTS: number) {
  const rnd = seeded(1);
  for (let i = 0; i < EVENTS; i++) {
    const customerId = `c-${Math.floor(rnd() * (20_000 / 6))}`;
    const placedAt = i * 6;
    yield { topic: 'orders', key: `o-${i}`, value: { customerId, amount: 1, placedAt }, timestamp: placedAt };
  }
}

export function* joinInput(EVENTS: number) {
  const rnd = seeded(2);
  const orders = Math.floor(EVENTS / 2);
  const paidAt = Array.from({ length: orders }, (_, i) => i * 10 * 6 + Math.floor(rnd() * 10 * MINUTE));
  const payments = [...paidAt.keys()].sort((a, b) => paidAt[a]! - paidAt[b]! || a - b);
  let p = 0;
  for (let i = 0; i < orders; i++) {
    const placedAt = i * 60;
    while (p < orders && paidAt[payments[p]!]! <= placedAt) {
      const j = payments[p++]!;
      yield { topic: 'payments', key: `o-${j}`, value: { paidAt: paidAt[j]! }, timestamp: paidAt[j]! };
    }
    yield {
      topic: 'orders',
      key: `o-${i}`,
      value: { customerId: `c-${i % 3333}`, amount: 1, placedAt },
      timestamp: placedAt,
    };
  }
  for (; p < orders; p++) {
    const j = payments[p]!;
    yield { topic: 'payments', key: `o-${j}`, value: { paidAt: paidAt[j]! }, timestamp: paidAt[j]! };
  }
}

export const tumbling = {
  application: 'bench',
  sources: { orders: { topic: 'orders', time: 'placedAt' } },
  projections: {
    counts: {
      from: 'orders',
      groupBy: 'customerId',
      window: { type: 'tumbling', size: MINUTE, grace: 2 * MINUTE },
      aggregate: { count: { count: '*' } },
    },
  },
};
/** (f) without its window: the same group-by count over the same input, the control for the window's cost. */
export const unwindowed = {
  ...tumbling,
  projections: { counts: { from: 'orders', groupBy: 'customerId', aggregate: { count: { count: '*' } } } },
};
export const join = {
  application: 'bench',
  sources: { orders: { topic: 'orders', time: 'placedAt' }, payments: { topic: 'payments', time: 'paidAt' } },
  projections: {
    paid: {
      from: 'orders',
      join: { stream: 'payments', type: 'inner', as: 'payment', within: 10 * MINUTE, grace: 15 * MINUTE },
      select: { customerId: 'customerId', amount: 'amount', paidAt: 'payment.paidAt' },
    },
  },
};
