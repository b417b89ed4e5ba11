// RenewingProducer's bookkeeping with stand-in producers (the broker behaviour it exists for is shown
// in test/integration/kafka/producer-sequences.test.ts): which producer sends, when one is replaced,
// and that a replaced producer is disconnected only after its sends in flight settle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { RenewingProducer } from '../../../runtime/kafka/producer/renewing-producer.ts';

interface StandIn {
  id: number;
  sent: number;
  disconnected: boolean;
  /** Settles the next send: resolve, or reject with the error. */
  pending: Array<{ resolve: (m: RecordMetadata[]) => void; reject: (e: Error) => void }>;
}

function standIns(): { made: StandIn[]; make: () => Producer } {
  const made: StandIn[] = [];
  const make = () => {
    const p: StandIn = { id: made.length, sent: 0, disconnected: false, pending: [] };
    made.push(p);
    return {
      connect: async () => undefined,
      disconnect: async () => {
        p.disconnected = true;
      },
      sendBatch: (_b: ProducerBatch) => {
        p.sent++;
        return new Promise<RecordMetadata[]>((resolve, reject) => p.pending.push({ resolve, reject }));
      },
    } as unknown as Producer;
  };
  return { made, make };
}

const batch: ProducerBatch = { topicMessages: [{ topic: 't', messages: [{ value: 'x' }] }] };
const tick = () => new Promise((r) => setImmediate(r));

/** A producer whose first send is still in flight and whose second one failed on the first stand-in. */
async function failedBesideOneInFlight() {
  const { made, make } = standIns();
  const producer = new RenewingProducer(make);
  const inFlight = producer.sendBatch(batch);
  const failing = producer.sendBatch(batch);
  made[0]!.pending[1]!.reject(new Error('refused'));
  await assert.rejects(failing);
  return { made, producer, inFlight };
}

test('sends on one producer until a send fails, then on a new one', async () => {
  const { made, make } = standIns();
  const producer = new RenewingProducer(make);
  await producer.connect();
  const ok = producer.sendBatch(batch);
  made[0]!.pending.shift()!.resolve([]);
  await ok;
  const failing = producer.sendBatch(batch);
  made[0]!.pending.shift()!.reject(new Error('refused'));
  await assert.rejects(failing, /refused/);
  assert.equal(made.length, 1, 'not replaced before it is needed');

  const next = producer.sendBatch(batch);
  await tick();
  assert.equal(made.length, 2);
  assert.equal(made[1]!.sent, 1, 'the send after the failure goes to the new producer');
  made[1]!.pending.shift()!.resolve([]);
  await next;
  assert.equal(producer.renewals, 1);
  await tick();
  assert.equal(made[0]!.disconnected, true, 'the replaced producer is disconnected');
});

test('a replaced producer is disconnected only once its sends in flight settle', async () => {
  const { made, producer, inFlight: slow } = await failedBesideOneInFlight();
  const next = producer.sendBatch(batch);
  await tick();
  assert.equal(made.length, 2);
  await tick();
  assert.equal(made[0]!.disconnected, false, 'a send is still in flight on it');
  made[0]!.pending[0]!.resolve([]);
  await slow;
  await tick();
  assert.equal(made[0]!.disconnected, true);
  made[1]!.pending.shift()!.resolve([]);
  await next;
});

test('concurrent sends after a failure share one replacement', async () => {
  const { made, make } = standIns();
  const producer = new RenewingProducer(make);
  const failing = producer.sendBatch(batch);
  made[0]!.pending.shift()!.reject(new Error('refused'));
  await assert.rejects(failing);
  const sends = [producer.sendBatch(batch), producer.sendBatch(batch), producer.sendBatch(batch)];
  await tick();
  assert.equal(made.length, 2, 'one new producer for all three');
  for (const p of made[1]!.pending.splice(0)) p.resolve([]);
  await Promise.all(sends);
  assert.equal(made[1]!.sent, 3);
  await producer.disconnect();
  assert.equal(made[1]!.disconnected, true);
});

test('a failure on a replaced producer does not replace the new one', async () => {
  const { made, producer, inFlight: late } = await failedBesideOneInFlight();
  const next = producer.sendBatch(batch);
  await tick();
  made[1]!.pending.shift()!.resolve([]);
  await next;
  made[0]!.pending[0]!.reject(new Error('also refused'));
  await assert.rejects(late);
  const after = producer.sendBatch(batch);
  await tick();
  assert.equal(made.length, 2, 'the old producer failing again says nothing about the new one');
  made[1]!.pending.shift()!.resolve([]);
  await after;
});
