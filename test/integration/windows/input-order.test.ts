// A windowed join takes its two inputs in event-time order on the broker (the task's partition
// group), however far ahead one input was written: all orders are written before all payments,
// spanning a day of event time, each payment a minute after its order, with a 10-minute join
// window and no grace. The record timestamps are either the events' times, or the times they were
// written while the event time is only in the value (ordering by those would be fetch order again).
// Taken in fetch order, one topic's batch would advance stream time by hours before the other's is
// read, and the other side's records would be dropped as late (or their partners expired). Also:
// transaction markers on the inputs (the payments are written transactionally) still let the
// task's position reach the end, and an input that never gets a record does not hold the other
// back (the broker's listing of its partitions says it is empty).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import type { Application } from '../../../runtime/app/index.ts';
import { createTopics, kafka, readToEnd, testDir, transactionalProducer, uniqueTopic } from '../helpers.ts';
import { produceEvents, type SeedEvent, startApp, waitCaughtUp } from '../runtime/harness.ts';

const MINUTE = 60_000;
const T0 = 28_333_334 * MINUTE;
const ORDERS = 1_500;
const PARTITIONS = 2;

function joinApp(guarantee: 'exactly_once' | 'at_least_once', maxTaskIdleMs: number) {
  const app = uniqueTopic('order').replaceAll('-', '_');
  const topics = { orders: `${app}-orders`, payments: `${app}-payments` };
  const yaml = `
application: ${app}
processing: { guarantee: ${guarantee}, commitIntervalMs: 100, maxTaskIdleMs: ${maxTaskIdleMs} }
sources:
  orders:   { topic: ${topics.orders}, key: orderId, time: ts }
  payments: { topic: ${topics.payments}, key: orderId, time: ts }
projections:
  paid:
    from: orders
    join: { stream: payments, as: payment, within: { before: 0, after: 10m } }
    select: { total: total, paid: payment.amount }
`;
  return { definition: parseConfig(yaml, 'order.yaml', {}), topics };
}

/**
 * The record timestamps: the events' times, or the times they were written (Kafka's CreateTime: all
 * orders before all payments), when the event time is only in the value (the sources' `time: ts`).
 */
type Stamps = 'event time' | 'write order';
const WRITTEN = Date.UTC(2026, 0, 1);
const recordTime = (stamps: Stamps, eventTime: number, written: number): number =>
  stamps === 'event time' ? eventTime : WRITTEN + written;

const orders = (topic: string, stamps: Stamps = 'event time'): SeedEvent[] =>
  Array.from({ length: ORDERS }, (_, i) => ({
    topic,
    key: `o${i}`,
    value: { orderId: `o${i}`, total: i, ts: T0 + i * MINUTE },
    timestamp: recordTime(stamps, T0 + i * MINUTE, i),
  }));

describe('input order of a windowed join on the broker', { timeout: 180_000 }, () => {
  let app: Application | undefined;
  after(async () => {
    await app?.stop();
  });
  const dir = testDir('input-order');

  for (const stamps of ['event time', 'write order'] as const)
    it(`joins every order with its payment although all orders were written first (record timestamps: ${stamps})`, async () => {
      const a = joinApp('exactly_once', 1_000);
      await createTopics([a.topics.orders, a.topics.payments], { partitions: PARTITIONS });
      await produceEvents(orders(a.topics.orders, stamps));
      // The payments in transactions of 100: their commit markers sit between the records.
      const producer = await transactionalProducer(kafka('streamfold-test-payments'), 'payments');
      for (let i = 0; i < ORDERS; i += 100) {
        const tx = await producer.transaction();
        await tx.send({
          topic: a.topics.payments,
          messages: Array.from({ length: Math.min(100, ORDERS - i) }, (_, j) => {
            const n = i + j;
            const ts = T0 + n * MINUTE + MINUTE;
            return {
              key: `o${n}`,
              value: JSON.stringify({ orderId: `o${n}`, amount: n, ts }),
              timestamp: String(recordTime(stamps, ts, ORDERS + n)),
            };
          }),
        });
        await tx.commit();
      }
      await producer.disconnect();

      app = startApp(a.definition, `${dir}/joined`);
      await app.start();
      await waitCaughtUp(app, 90_000);
      const paid = compileTopology(a.definition).projections.find((p) => p.name === 'paid')!.topic!;
      const output = await readToEnd(paid);
      const joined = new Set(output.map((r) => r.key));
      assert.equal(joined.size, ORDERS, `${ORDERS - joined.size} orders lost their payment`);
      for (const r of output) {
        const row = JSON.parse(r.value!) as { total: number; paid: number };
        assert.equal(row.paid, row.total);
      }
      await app.stop();
      app = undefined;
    });

  it('an input that never gets a record does not hold the other back (its end is listed)', async () => {
    // A wait of 10 minutes for inputs nothing was fetched of: the listing says payments is empty.
    const a = joinApp('at_least_once', 600_000);
    await createTopics([a.topics.orders, a.topics.payments], { partitions: PARTITIONS });
    await produceEvents(orders(a.topics.orders).slice(0, 50));
    app = startApp(a.definition, `${dir}/idle`);
    await app.start();
    // Caught up means every order was processed (the position reached the end of each partition).
    await waitCaughtUp(app, 30_000);
    assert.equal(app.status().processed, 50);
  });
});
