// The produce request patch: requests encode byte for byte as kafkajs 2.2.4 encodes them (keys, headers,
// timestamps, transactions, big batches); what kafkajs treats differently (compression, values it rejects)
// goes to kafkajs' own encoder; v4–v7 requests use the patch too.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mock, test } from 'node:test';
// First: the patch must be evaluated before kafkajs loads.
import { kafkajsParts, producerPatched } from '../../../runtime/kafka/patches/producer/index.ts';
import {
  encodeProduceRequest,
  type ProduceArgs,
  type ProduceMessage,
  type ProduceRequest,
} from '../../../runtime/kafka/patches/producer/produce-request.ts';
import { kafkajsOriginal } from './kafkajs-original.ts';
import kafkajs from 'kafkajs';

const require = createRequire(import.meta.url);
const produceV3 = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const recordV0 = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
type Request = (args: ProduceArgs) => ProduceRequest;
type Encoded = { buffer: Buffer };

/** kafkajs' own produce v3 request with its own record encoder (the cached ones are patched). */
const originalRequest = () => kafkajsOriginal<Request>(produceV3, recordV0);

const NOW = 1_763_900_000_123;
const json = (i: number) =>
  Buffer.from(JSON.stringify({ customer: `c-${i % 97}`, amount: i * 1.5, note: 'é€😀' }));

function args(messages: ProduceMessage[], overrides: Partial<ProduceArgs> = {}): ProduceArgs {
  return {
    acks: -1,
    timeout: 30_000,
    topicData: [
      { topic: 'orders-exchange', partitions: [{ partition: 3, firstSequence: 17, messages }] },
      {
        topic: 'tötals-changelog',
        partitions: [
          { partition: 0, messages: messages.slice(0, 2) },
          { partition: 5, messages: [] },
        ],
      },
    ],
    ...overrides,
  };
}

const big = Array.from({ length: 3000 }, (_, i) => ({
  key: `c-${i % 97}`,
  value: json(i),
  timestamp: String(NOW - 5000 + ((i * 7919) % 10_000)),
}));

const cases: [string, ProduceArgs][] = [
  ['string keys, buffer values, string timestamps', args(big.slice(0, 20))],
  ['a big batch (3000 records)', args(big)],
  [
    'null keys and values, buffer keys, string values',
    args([
      { key: null, value: null, timestamp: String(NOW) },
      { key: Buffer.from([0, 1, 2]), value: 'plain text ✓', timestamp: String(NOW + 1) },
      { value: 'no key', timestamp: String(NOW - 1) },
      { key: '', value: '', timestamp: String(NOW) },
    ]),
  ],
  [
    'numeric timestamps of different lengths (kafkajs orders them as text), and none',
    args([
      { key: 'a', value: 'x', timestamp: 99_999 },
      { key: 'b', value: 'y', timestamp: 100_000 },
      { key: 'c', value: 'z' },
      { key: 'd', value: 'w', timestamp: NOW },
      { key: 'e', value: 'v', timestamp: 0 },
    ]),
  ],
  [
    'no timestamps at all (the wall clock)',
    args([
      { key: 'k', value: 'v' },
      { key: 'k2', value: 'v2' },
    ]),
  ],
  [
    'headers: strings, buffers, repeated values',
    args([
      { key: 'h', value: 'v', headers: { 'key-format': 'json', bin: Buffer.from([255, 0]) }, timestamp: NOW },
      { key: 'h2', value: 'v', headers: { multi: ['one', Buffer.from('two')], ü: '' }, timestamp: NOW + 2 },
      { key: 'h3', value: 'v', headers: {}, timestamp: NOW + 3 },
    ]),
  ],
  [
    'transactional, with a producer id and epoch',
    args(big.slice(0, 50), {
      transactionalId: 'streamfold-app-0_3',
      producerId: 123_456_789_012,
      producerEpoch: 7,
    }),
  ],
  ['a long record (varint lengths over 2 bytes)', args([{ key: 'long', value: Buffer.alloc(70_000, 65) }])],
];

test('the produce request patch is in effect when imported before kafkajs', () => {
  assert.equal(producerPatched, true);
  assert.notEqual(require(produceV3), originalRequest());
});

for (const [name, c] of cases) {
  test(`produce requests encode byte for byte as kafkajs encodes them: ${name}`, async (t) => {
    t.mock.method(Date, 'now', () => NOW);
    const parts = kafkajsParts(require('kafkajs/src/protocol/encoder.js'), originalRequest());
    // the fast path, not the fallback to kafkajs
    assert.ok(encodeProduceRequest(c, parts, NOW));
    const expected = (await originalRequest()(c).encode()) as Encoded;
    const patched = (await (require(produceV3) as Request)(c).encode()) as Encoded;
    assert.deepEqual(patched.buffer, expected.buffer);
  });
}

test('inputs kafkajs handles differently go to its own encoder, with its result or error', async () => {
  mock.method(Date, 'now', () => NOW);
  try {
    const parts = kafkajsParts(require('kafkajs/src/protocol/encoder.js'), originalRequest());
    const patched = require(produceV3) as Request;
    const gzip = args(big.slice(0, 10), { compression: kafkajs.CompressionTypes.GZIP });
    const fractional = args([
      { key: 'f', value: 'v', timestamp: NOW + 0.5 },
      { key: 'g', value: 'v', timestamp: NOW },
    ]);
    assert.equal(encodeProduceRequest(gzip, parts, NOW), undefined);
    const expected = (await originalRequest()(gzip).encode()) as Encoded;
    assert.deepEqual(((await patched(gzip).encode()) as Encoded).buffer, expected.buffer);
    // kafkajs rejects these: the patch must not turn them into bytes of its own
    const nullHeader = args([{ key: 'n', value: 'v', headers: { h: null } }]);
    for (const [c, error] of [
      [fractional, RangeError],
      [nullHeader, TypeError],
    ] as const) {
      assert.equal(encodeProduceRequest(c, parts, NOW), undefined);
      await assert.rejects(originalRequest()(c).encode(), error);
      await assert.rejects(patched(c).encode(), error);
    }
  } finally {
    mock.restoreAll();
  }
});

test('v4–v7 produce requests (what brokers negotiate) use the patched encoder', () => {
  const v7 = require('kafkajs/src/protocol/requests/produce/v7/request.js') as Request;
  const request = v7(args(big.slice(0, 3)));
  assert.equal(request.apiVersion, 7);
  assert.match(request.encode.toString(), /encodeProduceRequest/);
});
