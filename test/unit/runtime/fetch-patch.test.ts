// The kafkajs fetch patches: a record batch emptied by compaction (or missing its trailing records) is passed
// by its last offset instead of fetched forever, whole batches decode exactly as kafkajs decodes them, and
// read_committed drops every aborted transaction, even ones the broker lists out of offset order.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
// First: the patch must be evaluated before kafkajs' first fetch.
import {
  abortedFilterPatched,
  COMPACTION_GAP,
  fetchPatched,
  filterAbortedMessages,
} from '../../../runtime/kafka/patches/fetch/index.ts';
import { kafkajsOriginal } from './kafkajs-original.ts';
import { decodeFetchResponse, type Decompress } from '../../../runtime/kafka/restore/fetch-response.ts';

const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder.js');
const Encoder = require('kafkajs/src/protocol/encoder.js');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const Batch = require('kafkajs/src/consumer/batch.js');
const filterAborted = require('kafkajs/src/consumer/filterAbortedMessages.js');
const Long = require('kafkajs/src/utils/long.js');

const noCodec: Decompress = () => Promise.reject(new Error('no compressed batches here'));
const DECODE_MESSAGES = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';
const BATCH_DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';

interface Message {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  [COMPACTION_GAP]?: boolean;
}
type DecodeMessages = (decoder: unknown) => Promise<Message[]>;

/** kafkajs' fetch record-set decoder as the process uses it (patched). */
const decodeMessages = require(DECODE_MESSAGES) as DecodeMessages;

/** kafkajs' own decoder, loaded fresh with its own record batch decoder (the cached ones are patched). */
const originalDecodeMessages = () => kafkajsOriginal<DecodeMessages>(DECODE_MESSAGES, BATCH_DECODER);

/**
 * A record batch as the log cleaner left it on a broker (Kafka 4.3, copied from a segment file):
 * offsets 0..32 of a transactional producer (id 45), every record removed, the header kept.
 */
const EMPTIED_BATCH = Buffer.from(
  '00000000000000000000003100000000022d66c70d001000000020ffffffffffffffff0000019b77167862000000000000002d00000000000000000000',
  'hex',
);

/** A batch at `firstOffset` holding records at the given offset deltas, covering `lastOffsetDelta`. */
async function batchBytes(firstOffset: number, deltas: number[], lastOffsetDelta: number): Promise<Buffer> {
  const records = deltas.map((offsetDelta) =>
    Record({ offsetDelta, timestampDelta: 0, key: `k${firstOffset + offsetDelta}`, value: '{}' }),
  );
  return (await RecordBatch({ firstOffset: Long.fromInt(firstOffset), records, lastOffsetDelta })).buffer;
}

/** The record set of a fetch response: an int32 size, then the batches. */
function recordSet(...batches: Buffer[]): unknown {
  const all = Buffer.concat(batches);
  return new Decoder(new Encoder().writeInt32(all.length).writeBuffer(all).buffer);
}

function fetchedBatch(messages: Message[], fetchedOffset: string, highWatermark = '420') {
  return new Batch('topic', fetchedOffset, {
    partition: 0,
    highWatermark,
    messages,
    abortedTransactions: [],
  });
}

test('the patch is in effect when loaded before the first fetch', () => {
  assert.equal(fetchPatched, true);
});

test('kafkajs alone sees nothing in a batch emptied by compaction: its consumer fetches it forever', async () => {
  const messages = await originalDecodeMessages()(recordSet(EMPTIED_BATCH));
  assert.deepEqual(messages, []);
  const batch = fetchedBatch(messages, '0');
  // The runner's dead end: an empty batch that is not "emptied by filtering" is neither resolved
  // nor reported, and the next fetch asks for offset 0 again.
  assert.equal(batch.isEmpty(), true);
  assert.equal(batch.isEmptyDueToFiltering(), false);
});

test('a batch emptied by compaction is passed by its last offset, as the Java consumer does', async () => {
  const messages = await decodeMessages(recordSet(EMPTIED_BATCH));
  assert.deepEqual(
    messages.map((m) => [m.offset, m.isControlRecord, m[COMPACTION_GAP]]),
    [
      ['0', true, true],
      ['32', true, true],
    ],
  );
  const atStart = fetchedBatch(messages, '0');
  // kafkajs' path for a batch of control records: resolve its last offset, report it, fetch on.
  assert.equal(atStart.isEmptyDueToFiltering(), true);
  assert.equal(atStart.firstOffset(), '0');
  assert.equal(atStart.lastOffset(), '32');
  assert.deepEqual(atStart.messages, []);
  const inside = fetchedBatch(messages, '10');
  assert.equal(inside.isEmptyDueToFiltering(), true);
  assert.equal(inside.lastOffset(), '32');
});

test('records removed at the end of a batch: the consumer moves past the whole batch', async () => {
  const messages = await decodeMessages(recordSet(await batchBytes(33, [0, 1], 5)));
  assert.deepEqual(
    messages.map((m) => [m.offset, m.isControlRecord === true]),
    [
      ['33', false],
      ['34', false],
      ['38', true],
    ],
  );
  const batch = fetchedBatch(messages, '33');
  assert.deepEqual(
    batch.messages.map((m: Message) => m.offset),
    ['33', '34'],
  );
  assert.equal(batch.lastOffset(), '38');
});

test('whole batches are left as kafkajs decodes them', async () => {
  const bytes = await batchBytes(40, [0, 1, 2], 2);
  const patched = await decodeMessages(recordSet(bytes));
  const original = await originalDecodeMessages()(recordSet(bytes));
  assert.deepEqual(patched, original);
  assert.deepEqual(
    patched.map((m) => m.offset),
    ['40', '41', '42'],
  );
});

test('the placeholders pass the aborted-transaction filter without ending an abort', async () => {
  // Producer 45 has an aborted transaction from offset 0; the emptied batch is not its abort marker,
  // so its records after the batch are still filtered until the marker.
  const messages = await decodeMessages(recordSet(EMPTIED_BATCH));
  const fake = {
    offset: '33',
    key: Buffer.from('k'),
    batchContext: { producerId: '45', inTransaction: true },
  };
  const kept = filterAborted({
    messages: [...messages, fake],
    abortedTransactions: [{ producerId: '45', firstOffset: '0' }],
  }) as Message[];
  assert.deepEqual(
    kept.filter((m) => !m.isControlRecord).map((m) => m.offset),
    [],
  );
});

test('a changelog restore reads past a batch emptied by compaction instead of taking it for the end', async () => {
  const next = await batchBytes(33, [0, 1], 1);
  const response = (set: Buffer) =>
    Buffer.from(
      new Encoder()
        .writeInt32(0)
        .writeInt16(0)
        .writeInt32(0)
        .writeArray([
          new Encoder()
            .writeString('changelog')
            .writeArray([
              new Encoder()
                .writeInt32(0)
                .writeInt16(0)
                .writeInt64(35)
                .writeInt64(35)
                .writeInt64(0)
                .writeArray([])
                .writeInt32(-1)
                .writeInt32(set.length)
                .writeBuffer(set),
            ]),
        ]).buffer,
    );
  // a response cut after the emptied batch: nothing to restore, yet not the end of the log
  const emptiedOnly = await decodeFetchResponse(response(EMPTIED_BATCH), () => 0, noCodec);
  const [p] = emptiedOnly.responses[0]!.partitions;
  assert.deepEqual([p!.records.length, p!.nextOffset, p!.hadBatches], [0, 33, true]);
  const both = await decodeFetchResponse(response(Buffer.concat([EMPTIED_BATCH, next])), () => 0, noCodec);
  assert.deepEqual(
    both.responses[0]!.partitions[0]!.records.map((r) => [r.offset, r.key]),
    [
      [33, 'k33'],
      [34, 'k34'],
    ],
  );
});

/** kafkajs' own read_committed filter (the cached module is the patched one). */
const kafkajsFilter = () =>
  kafkajsOriginal<(args: { messages: unknown[]; abortedTransactions: unknown[] }) => Message[]>(
    'kafkajs/src/consumer/filterAbortedMessages.js',
  );

const txMessage = (offset: number, producerId: string, key = `k${offset}`) => ({
  offset: String(offset),
  key: Buffer.from(key),
  batchContext: { producerId, inTransaction: true },
});
const abortMarker = (offset: number, producerId: string) => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, 0]),
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});

test('read_committed: aborted transactions listed out of offset order are all filtered (kafkajs lets one through)', () => {
  assert.equal(abortedFilterPatched, true, 'the consumer filters through the patch');
  // producer 1 aborts a transaction from offset 10, producer 2 one from 11 that it aborted first:
  // the broker lists them in abort order
  const messages = [
    txMessage(10, '1'),
    txMessage(11, '2'),
    txMessage(12, '1'),
    abortMarker(13, '2'),
    abortMarker(14, '1'),
    txMessage(15, '1', 'committed'),
  ];
  const abortedTransactions = [
    { producerId: '2', firstOffset: '11' },
    { producerId: '1', firstOffset: '10' },
  ];
  const data = (kept: Message[]) => kept.filter((m) => !m.isControlRecord).map((m) => m.offset);
  assert.deepEqual(data(filterAbortedMessages({ messages, abortedTransactions })), ['15']);
  assert.deepEqual(
    data(kafkajsFilter()({ messages, abortedTransactions })),
    ['10', '15'],
    'kafkajs 2.2.4 as it is',
  );
});

test('read_committed: a fetch starting inside two aborted transactions filters both from its first message', () => {
  const messages = [txMessage(20, '2'), abortMarker(21, '2'), txMessage(22, '1'), abortMarker(23, '1')];
  const abortedTransactions = [
    { producerId: '1', firstOffset: '5' },
    { producerId: '2', firstOffset: '6' },
  ];
  const data = (kept: Message[]) => kept.filter((m) => !m.isControlRecord).map((m) => m.offset);
  assert.deepEqual(data(filterAbortedMessages({ messages, abortedTransactions })), []);
  assert.deepEqual(
    data(kafkajsFilter()({ messages, abortedTransactions })),
    ['20'],
    'kafkajs 2.2.4 as it is',
  );
});

const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js');

/** A seeded batch: repeated and unusual header keys, null keys and values, any deltas. */
async function variedBatch(seed: number, options: { compression?: number; transactional?: boolean }) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const count = 1 + Math.floor(rand() * 20);
  let offsetDelta = 0;
  const records = Array.from({ length: count }, (_, i) => {
    const headers: Record<string, unknown> = {};
    if (rand() < 0.5) headers['streamfold-key-format'] = 'json';
    if (rand() < 0.3) headers.trace = [Buffer.from('a'), Buffer.from([0, 255])];
    if (rand() < 0.2) headers['__proto__'] = 'p';
    if (rand() < 0.2) headers['é'] = Buffer.alloc(0);
    return Record({
      offsetDelta: (offsetDelta += i === 0 ? 0 : 1 + Math.floor(rand() * 3)),
      timestampDelta: Math.floor((rand() - 0.3) * 2 ** 40),
      key: rand() < 0.2 ? null : Buffer.from(`key-${seed}-${i}`),
      value:
        rand() < 0.2 ? null : Buffer.from(JSON.stringify({ i, text: 'x'.repeat(Math.floor(rand() * 300)) })),
      headers,
    });
  });
  const firstOffset =
    seed % 3 === 0 ? Long.fromString('9007199254740000') : Long.fromNumber(seed * 4_000_000_123);
  return (
    await RecordBatch({
      ...options,
      firstOffset,
      firstTimestamp: seed % 4 === 0 ? -1 : 1_700_000_000_000 + seed,
      maxTimestamp: 1_800_000_000_000 + seed,
      producerId: Long.fromNumber(seed),
      producerEpoch: seed % 7,
      firstSequence: seed,
      partitionLeaderEpoch: seed % 5,
      lastOffsetDelta: offsetDelta, // no compaction gap: the placeholders are tested above
      records,
    })
  ).buffer as Buffer;
}

/** Sets attribute bits in an encoded batch (kafkajs checks no CRC): log append time, control. */
function withAttributes(batch: Buffer, bits: number): Buffer {
  const copy = Buffer.from(batch);
  copy.writeInt16BE(copy.readInt16BE(21) | bits, 21);
  return copy;
}

test('record batches decode field for field as kafkajs decodes them', async () => {
  const batches: Buffer[] = [];
  for (let seed = 1; seed <= 40; seed++) {
    const batch = await variedBatch(seed, {
      compression: seed % 5 === 0 ? Compression.GZIP : Compression.None,
      transactional: seed % 2 === 0,
    });
    batches.push(
      seed % 6 === 0 ? withAttributes(batch, 0x8) : seed % 11 === 0 ? withAttributes(batch, 0x20) : batch,
    );
  }
  const all = Buffer.concat(batches);
  // the whole set, then cut inside its last batch: both decoders stop before a partial batch
  for (const set of [all, all.subarray(0, all.length - 17)]) {
    const patched = await decodeMessages(recordSet(set));
    const original = await originalDecodeMessages()(recordSet(set));
    assert.ok(original.length > 100);
    assert.deepEqual(patched, original);
  }
});
