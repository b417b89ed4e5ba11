// Dead-letter records without a broker: classification, headers, topics, and reading one back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDefinition } from '../../../projections/definition/index.ts';
import { ExpressionError } from '../../../projections/expressions/index.ts';
import { UpcastError } from '../../../projections/upcasting/index.ts';
import {
  classifyError,
  DeadLetterBuffer,
  DLQ_HEADERS,
  deadLetterFromPoison,
  deadLetterRecord,
  deadLetterTopicForTopic,
  deadLetterTopics,
  kindOfPoison,
  parseDeadLetter,
} from '../../../runtime/dlq/index.ts';

class DecodeFailure extends Error {
  override name = 'DecodeFailure';
}

void describe('dead-letter records', () => {
  void it('classifies errors by name or kind', () => {
    assert.equal(classifyError(new DecodeFailure('x')), 'decode');
    assert.equal(classifyError(new ExpressionError('x', 'a')), 'expression');
    assert.equal(classifyError(new UpcastError('x')), 'upcast');
    assert.equal(
      classifyError(Object.assign(new Error('x'), { name: 'RegistryDecodeError', kind: 'unknown-schema' })),
      'schema',
    );
    assert.equal(
      classifyError(
        Object.assign(new Error('x'), { name: 'RegistryDecodeError', kind: 'not-registry-framed' }),
      ),
      'decode',
    );
    assert.equal(classifyError(Object.assign(new Error('x'), { kind: 'missing-key' })), 'missing-key');
    assert.equal(classifyError(new TypeError('boom')), 'process');
    assert.equal(classifyError('a string'), 'process');
    assert.equal(kindOfPoison('value-not-json'), 'decode');
    assert.equal(kindOfPoison('something-new'), 'process');
  });

  void it('keeps the original bytes and headers, replaces old error headers, and reads back', () => {
    const raw = {
      topic: 'acc',
      partition: 2,
      offset: 41,
      key: Buffer.from('a1'),
      value: Buffer.from([0, 1, 2, 255]),
      timestamp: 1234,
      headers: { trace: 't1', [DLQ_HEADERS.kind]: 'decode' },
    };
    const m = deadLetterRecord(raw, new ExpressionError('bad', 'x'), { projection: 'p', now: 5000 });
    assert.equal(m.key, raw.key);
    assert.equal(m.value, raw.value);
    assert.equal(m.timestamp, '5000');
    assert.deepEqual(m.headers, {
      trace: 't1',
      [DLQ_HEADERS.kind]: 'expression',
      [DLQ_HEADERS.message]: 'bad',
      [DLQ_HEADERS.sourceTopic]: 'acc',
      [DLQ_HEADERS.sourcePartition]: '2',
      [DLQ_HEADERS.sourceOffset]: '41',
      [DLQ_HEADERS.sourceTimestamp]: '1234',
      [DLQ_HEADERS.projection]: 'p',
      [DLQ_HEADERS.time]: '1970-01-01T00:00:05.000Z',
    });
    const back = parseDeadLetter({ topic: 'dlq', partition: 0, offset: 0 }, m);
    assert.ok(back);
    assert.equal(back.kind, 'expression');
    assert.deepEqual(back.source, { topic: 'acc', partition: 2, offset: 41, timestamp: 1234 });
    assert.equal(back.time, 5000);
    assert.deepEqual(Object.keys(back.headers), ['trace']);
    assert.equal(
      parseDeadLetter({ topic: 'dlq', partition: 0, offset: 1 }, { key: null, value: null, timestamp: '1' }),
      undefined,
    );
    const poison = deadLetterFromPoison({ raw, kind: 'key-not-json', message: 'the key is not JSON' });
    assert.equal(poison.headers[DLQ_HEADERS.kind], 'decode');
    assert.equal(poison.headers[DLQ_HEADERS.projection], undefined);
  });

  void it('topics: per source, per application, default', () => {
    const r = checkDefinition({
      application: 'shop',
      sources: { a: { topic: 'ta' }, b: { topic: 'tb', deadLetterTopic: 'b-dead' } },
      projections: { p: { from: 'a', aggregate: { n: { count: '*' } } } },
    });
    assert.ok(r.definition);
    assert.deepEqual(deadLetterTopics(r.definition), ['shop-dlq', 'b-dead']);
    assert.equal(deadLetterTopicForTopic(r.definition, 'tb'), 'b-dead');
    assert.equal(deadLetterTopicForTopic(r.definition, 'shop-p-repartition'), 'shop-dlq');
    assert.deepEqual(deadLetterTopics({ ...r.definition, deadLetterTopic: 'all-dead' }), [
      'all-dead',
      'b-dead',
    ]);
  });
});

void describe('dead-letter buffer', () => {
  void it('buffers per dead-letter topic, counts per kind, sends at flush, keeps them if sending fails', async () => {
    const r = checkDefinition({
      application: 'shop',
      sources: { a: { topic: 'ta' }, b: { topic: 'tb', deadLetterTopic: 'b-dead' } },
      projections: { p: { from: 'a', aggregate: { n: { count: '*' } } } },
    });
    assert.ok(r.definition);
    const buffer = new DeadLetterBuffer(r.definition, () => 0);
    const raw = (topic: string, offset: number) => ({
      topic,
      partition: 0,
      offset,
      key: null,
      value: Buffer.from('x'),
      timestamp: 1,
    });
    buffer.addPoison({ raw: raw('ta', 1), kind: 'value-not-json', message: 'not JSON' });
    buffer.add(raw('tb', 2), new ExpressionError('bad', 'x'), 'p');
    buffer.add(raw('ta', 3), new UpcastError('too new'), 'p');
    assert.equal(buffer.pendingCount, 3);
    assert.deepEqual(
      [...buffer.counts],
      [
        ['decode', 1],
        ['expression', 1],
        ['upcast', 1],
      ],
    );
    const failing = { sendBatch: () => Promise.reject(new Error('broker down')) };
    await assert.rejects(buffer.flush(failing), /broker down/);
    assert.equal(buffer.pendingCount, 3, 'kept for the next attempt');
    const batches: { topic: string; offsets: string[] }[] = [];
    const sender = {
      sendBatch: (b: {
        topicMessages: { topic: string; messages: { headers: Record<string, unknown> }[] }[];
      }) => {
        for (const t of b.topicMessages)
          batches.push({
            topic: t.topic,
            offsets: t.messages.map((m) => String(m.headers[DLQ_HEADERS.sourceOffset])),
          });
        return Promise.resolve();
      },
    };
    assert.equal(await buffer.flush(sender), 3);
    assert.deepEqual(batches, [
      { topic: 'shop-dlq', offsets: ['1', '3'] },
      { topic: 'b-dead', offsets: ['2'] },
    ]);
    assert.equal(buffer.pendingCount, 0);
    assert.equal(await buffer.flush(sender), 0);
    assert.equal(buffer.total, 3);
  });
});
