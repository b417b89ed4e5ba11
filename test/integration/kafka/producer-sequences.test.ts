// An idempotent kafkajs producer after a produce request the broker took in part: kafkajs 2.2.4 takes
// back the batch numbers of every partition in the request, so the next record to a partition that
// was written gets a number the broker has seen, and is acknowledged without being written. The
// first test pins that behaviour of the dependency (it fails when kafkajs changes it, and the
// replacement in runtime/kafka/producer/ may then go); the second shows the replacement writes it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Producer, ProducerBatch } from 'kafkajs';
import { RenewingProducer } from '../../../runtime/kafka/producer/renewing-producer.ts';
import { createTopic, kafka, readToEnd, uniqueTopic } from './../helpers.ts';

const newProducer = (): Producer =>
  kafka('streamfold-test-sequences').producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });

/** Two topics on the one broker: one takes anything, the other refuses records over 1 000 bytes. */
async function topics(): Promise<{ open: string; strict: string }> {
  const open = uniqueTopic('sequences-open');
  const strict = uniqueTopic('sequences-strict');
  await createTopic(open);
  await createTopic(strict, { configs: { 'max.message.bytes': 1000 } });
  return { open, strict };
}

/** One request to the broker: `a` to the open topic is written, the large record is refused. */
async function partlyRejected(
  send: (batch: ProducerBatch) => Promise<unknown>,
  t: { open: string; strict: string },
) {
  await assert.rejects(
    send({
      topicMessages: [
        { topic: t.open, messages: [{ value: 'a' }] },
        { topic: t.strict, messages: [{ value: 'x'.repeat(3000) }] },
      ],
    }),
    /larger than the max message size/,
  );
}

void describe('idempotent producer after a partly rejected request', () => {
  void test('kafkajs alone: the next record is acknowledged and not written', async () => {
    const t = await topics();
    const producer = newProducer();
    await producer.connect();
    try {
      await partlyRejected((b) => producer.sendBatch(b), t);
      const [ack] = await producer.send({ topic: t.open, messages: [{ value: 'b' }] });
      assert.equal(ack?.baseOffset, '0', 'acknowledged with the offset of the record written before');
    } finally {
      await producer.disconnect();
    }
    const values = (await readToEnd(t.open)).map((r) => r.value);
    assert.deepEqual(
      values,
      ['a'],
      'kafkajs lost "b" silently: if it no longer does, revisit RenewingProducer',
    );
  });

  void test('replaced after the failure: the next record is written', async () => {
    const t = await topics();
    const producer = new RenewingProducer(newProducer);
    await producer.connect();
    try {
      await partlyRejected(producer.sendBatch, t);
      const [ack] = await producer.sendBatch({
        topicMessages: [{ topic: t.open, messages: [{ value: 'b' }] }],
      });
      assert.equal(ack?.baseOffset, '1');
      assert.equal(producer.renewals, 1);
    } finally {
      await producer.disconnect();
    }
    assert.deepEqual(
      (await readToEnd(t.open)).map((r) => r.value),
      ['a', 'b'],
    );
  });
});
