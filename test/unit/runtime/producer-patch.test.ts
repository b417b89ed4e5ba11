// The producer patch: records encode byte for byte as kafkajs encodes them, messages are grouped per
// partition in order, and the fast partitioner picks the partition kafkajs' DefaultPartitioner picks.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
// First: the patch must be evaluated before kafkajs loads.
import {
  groupMessagesPerPartition,
  producerPatched,
  recordEncoder,
} from '../../../runtime/kafka/patches/producer/index.ts';
import 'kafkajs';
import { kafkajsOriginal } from './kafkajs-original.ts';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js');
const patchedRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');

// kafkajs' own Record v0 encoder (the cached module is the patched one).
const originalRecord = () =>
  kafkajsOriginal<typeof patchedRecord>('kafkajs/src/protocol/recordBatch/record/v0/index.js');

test('the patch is in effect when imported before kafkajs', () => {
  assert.equal(producerPatched, true);
  assert.notEqual(patchedRecord, originalRecord());
});

test('records encode byte for byte as kafkajs encodes them', () => {
  const original = originalRecord();
  const encode = recordEncoder(Encoder, original);
  const cases = [
    { offsetDelta: 0, timestampDelta: 0, key: 'a', value: Buffer.from('{"x":1}') },
    { offsetDelta: 300, timestampDelta: 123_456_789, key: 'c-000123', value: Buffer.alloc(5000, 7) },
    { offsetDelta: 5, timestampDelta: -3, key: null, value: null },
    { offsetDelta: 1, timestampDelta: 2 ** 40, key: Buffer.from('k'), value: 'text value' },
    { offsetDelta: 2, timestampDelta: 9, key: 'h', value: 'v', headers: { 'key-format': 'json' } },
  ];
  for (const c of cases) assert.deepEqual(encode(c).buffer, original(c).buffer, JSON.stringify(c));
});

test('messages are grouped per partition in order, like kafkajs', () => {
  const messages = Array.from({ length: 50 }, (_, i) => ({ i }));
  const grouped = groupMessagesPerPartition({
    topic: 't',
    partitionMetadata: [{}, {}, {}],
    messages,
    partitioner: ({ message }) => (message as { i: number }).i % 3,
  });
  assert.deepEqual(Object.keys(grouped), ['0', '1', '2']);
  assert.deepEqual(
    grouped[1],
    messages.filter((m) => m.i % 3 === 1),
  );
  assert.deepEqual(
    groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 }),
    {},
  );
});

test('the fast partitioner answers as kafkajs DefaultPartitioner does', async () => {
  const { FastDefaultPartitioner } =
    await import('../../../runtime/kafka/patches/producer/fast-partitioner.ts');
  const { Partitioners } = (await import('kafkajs')).default;
  const cached = FastDefaultPartitioner();
  const reference = Partitioners.DefaultPartitioner();
  const metadata = (n: number) => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1 }));
  // short and long ASCII keys (past the reused 256-byte buffer), UTF-8 keys, the empty key
  const keys = ['', 'é', '日本語キー', 'x'.repeat(256), 'y'.repeat(300), `${'z'.repeat(255)}é`];
  for (let i = 0; i < 500; i++) keys.push(`c-${i % 97}`, `k-${String(i * 7919).padStart(8, '0')}`);
  for (const n of [6, 6, 12]) {
    for (const key of keys) {
      const message = { key, value: 'v' };
      const args = { topic: 't', partitionMetadata: metadata(n) as never, message };
      assert.equal(cached(args), reference(args));
    }
  }
  const explicit = {
    topic: 't',
    partitionMetadata: metadata(6) as never,
    message: { key: 'k', value: 'v', partition: 4 },
  };
  assert.equal(cached(explicit), 4);
  const buffer = {
    topic: 't',
    partitionMetadata: metadata(6) as never,
    message: { key: Buffer.from('k'), value: 'v' },
  };
  assert.equal(cached(buffer), reference(buffer));
});
