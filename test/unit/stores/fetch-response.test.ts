// The restore's Fetch v11 response decoder against kafkajs' own decoding of the same bytes
// (its v11 response decoder, then its read_committed filter, minus control records): plain,
// transactional (aborted and committed, interleaved producers), compressed, truncated and
// mid-batch requests. The response bytes are built with kafkajs' record batch encoder.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import {
  type DecodedFetch,
  decodeFetchResponse,
  type Decompress,
} from '../../../runtime/kafka/restore/fetch-response.ts';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js');
const Long = require('kafkajs/src/utils/long.js');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kafkajsV11 = require('kafkajs/src/protocol/requests/fetch/v11/response.js');
const filterAborted = require('kafkajs/src/consumer/filterAbortedMessages.js');
const { Types, lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression/index.js');

const decompress: Decompress = (codec, data) => lookupCodecByAttributes(codec).decompress(data);
const NOW = 1_763_900_000_000;

interface BatchSpec {
  base: number;
  records: Array<{ key: string | null; value: string | null; headers?: Record<string, string> }>;
  producerId?: number;
  transactional?: boolean;
  /** A control batch: 'abort' or 'commit' marker (one record). */
  control?: 'abort' | 'commit';
  gzip?: boolean;
}

async function batch(spec: BatchSpec): Promise<Buffer> {
  const records = spec.control
    ? [Record({ key: Buffer.from([0, 0, 0, spec.control === 'abort' ? 0 : 1]), value: Buffer.alloc(6) })]
    : spec.records.map((r, i) =>
        Record({
          offsetDelta: i,
          timestampDelta: i,
          key: r.key === null ? null : Buffer.from(r.key),
          value: r.value === null ? null : Buffer.from(r.value),
          headers: r.headers,
        }),
      );
  const encoded = await RecordBatch({
    compression: spec.gzip ? Types.GZIP : Types.None,
    firstOffset: Long.fromNumber(spec.base),
    firstTimestamp: NOW,
    maxTimestamp: NOW + records.length,
    lastOffsetDelta: records.length - 1,
    transactional: spec.transactional || spec.control !== undefined,
    producerId: Long.fromNumber(spec.producerId ?? -1),
    records,
  });
  const bytes = Buffer.from(encoded.buffer);
  if (spec.control) bytes[22]! |= 0x20; // the control flag (the encoder has no option for it); CRC is not checked
  return bytes;
}

interface PartitionSpec {
  partition: number;
  errorCode?: number;
  aborted?: Array<{ producerId: number; firstOffset: number }>;
  batches: BatchSpec[];
  /** Bytes to cut from the end of the record set (a fetch cut at maxBytes). */
  cut?: number;
}

async function response(topics: Array<{ name: string; partitions: PartitionSpec[] }>): Promise<Buffer> {
  const topicEncoders = [];
  for (const t of topics) {
    const partitions = [];
    for (const p of t.partitions) {
      let set = Buffer.concat(await Promise.all(p.batches.map(batch)));
      if (p.cut) set = set.subarray(0, set.length - p.cut);
      partitions.push(
        new Encoder()
          .writeInt32(p.partition)
          .writeInt16(p.errorCode ?? 0)
          .writeInt64(1000)
          .writeInt64(1000)
          .writeInt64(0)
          .writeArray(
            (p.aborted ?? []).map((a) => new Encoder().writeInt64(a.producerId).writeInt64(a.firstOffset)),
          )
          .writeInt32(-1)
          .writeInt32(set.length)
          .writeBuffer(set),
      );
    }
    topicEncoders.push(new Encoder().writeString(t.name).writeArray(partitions));
  }
  return Buffer.from(
    new Encoder().writeInt32(0).writeInt16(0).writeInt32(0).writeArray(topicEncoders).buffer,
  );
}

type Row = { offset: number; key: string | null; value: string | null };
const str = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));

/** kafkajs' answer: its decoder, its aborted-transaction filter, no control records, offsets ≥ requested. */
async function kafkajsRows(raw: Buffer, requested: number): Promise<Map<string, Row[]>> {
  const decoded = await kafkajsV11.decode(raw);
  const out = new Map<string, Row[]>();
  for (const t of decoded.responses)
    for (const p of t.partitions) {
      const kept = filterAborted({ messages: p.messages, abortedTransactions: p.abortedTransactions });
      out.set(
        `${t.topicName}:${p.partition}`,
        kept
          .filter(
            (m: { isControlRecord?: boolean; offset: string }) =>
              !m.isControlRecord && Number(m.offset) >= requested,
          )
          .map((m: { offset: string; key: Buffer | null; value: Buffer | null }) => ({
            offset: Number(m.offset),
            key: str(m.key),
            value: str(m.value),
          })),
      );
    }
  return out;
}

function ourRows(decoded: DecodedFetch): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const t of decoded.responses)
    for (const p of t.partitions)
      out.set(
        `${t.topicName}:${p.partition}`,
        p.records.map((r) => ({ offset: r.offset, key: r.key, value: str(r.value) })),
      );
  return out;
}

type TimedRow = Row & { timestamp: number | undefined };

/** The records as eachRawRecord gives them: byte ranges, decoded here as a restore's LevelDB would hold them. */
function rawRows(decoded: DecodedFetch): TimedRow[][] {
  return decoded.responses.flatMap((t) =>
    t.partitions.map((p) => {
      const out: TimedRow[] = [];
      const n = p.eachRawRecord((bytes, keyStart, keyLength, valueStart, valueLength, offset, timestamp) =>
        out.push({
          offset,
          key: keyLength < 0 ? null : bytes.toString('utf8', keyStart, keyStart + keyLength),
          value: valueLength < 0 ? null : bytes.toString('utf8', valueStart, valueStart + valueLength),
          timestamp,
        }),
      );
      assert.equal(n, out.length, 'eachRawRecord returns how many records it visited');
      return out;
    }),
  );
}

function entryRows(decoded: DecodedFetch): TimedRow[][] {
  return decoded.responses.flatMap((t) =>
    t.partitions.map((p) =>
      p.records.map((r) => ({ offset: r.offset, key: r.key, value: str(r.value), timestamp: r.timestamp })),
    ),
  );
}

const rows = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, value: JSON.stringify({ i, tag, s: 'é€😀' }) }));

async function compare(topics: Parameters<typeof response>[0], requested = 0): Promise<DecodedFetch> {
  const raw = await response(topics);
  const ours = await decodeFetchResponse(raw, () => requested, decompress);
  // Visited before the entries exist (a restore's path), then as entries: the same records.
  const raws = rawRows(ours);
  assert.deepEqual(ourRows(ours), await kafkajsRows(raw, requested));
  assert.deepEqual(
    raws,
    entryRows(ours),
    'eachRawRecord gives the same keys, values, offsets and timestamps as byte ranges',
  );
  return ours;
}

test('plain batches over topics and partitions, tombstones, null keys and headers: the same records as kafkajs', async () => {
  const decoded = await compare([
    {
      name: 'a-changelog',
      partitions: [
        {
          partition: 0,
          batches: [
            { base: 0, records: rows(3, 'x') },
            {
              base: 3,
              records: [
                { key: 'k', value: null },
                { key: null, value: 'v' },
                { key: 'h', value: 'w', headers: { origin: 'test', n: '1' } },
              ],
            },
          ],
        },
        { partition: 3, batches: [{ base: 500, records: rows(200, 'y') }] },
      ],
    },
    { name: 'b-changelog', partitions: [{ partition: 1, batches: [] }] },
  ]);
  const [a, b] = decoded.responses;
  assert.deepEqual(
    a!.partitions.map((p) => [p.partition, p.nextOffset, p.hadBatches]),
    [
      [0, 6, true],
      [3, 700, true],
    ],
  );
  assert.equal(a!.partitions[0]!.highWatermark, 1000);
  assert.deepEqual(
    b!.partitions.map((p) => [p.nextOffset, p.hadBatches, p.records.length]),
    [[-1, false, 0]],
  );
  assert.equal(a!.partitions[0]!.records[3]!.value, null, 'a tombstone stays a tombstone');
});

test('a request in the middle of a batch drops the records before it', async () => {
  const decoded = await compare(
    [
      {
        name: 't',
        partitions: [
          {
            partition: 0,
            batches: [
              { base: 10, records: rows(10, 'm') },
              { base: 20, records: rows(2, 'n') },
            ],
          },
        ],
      },
    ],
    15,
  );
  assert.deepEqual(
    decoded.responses[0]!.partitions[0]!.records.map((r) => r.offset),
    [15, 16, 17, 18, 19, 20, 21],
  );
});

test('read_committed: aborted transactions are skipped, committed ones and interleaved producers kept', async () => {
  const decoded = await compare([
    {
      name: 'eos-changelog',
      partitions: [
        {
          partition: 2,
          aborted: [
            { producerId: 7, firstOffset: 10 },
            { producerId: 7, firstOffset: 30 },
          ],
          batches: [
            { base: 10, producerId: 7, transactional: true, records: rows(3, 'aborted-1') },
            { base: 13, producerId: 8, transactional: true, records: rows(2, 'other-producer') },
            { base: 15, producerId: 7, control: 'abort', records: [] },
            { base: 16, producerId: 8, control: 'commit', records: [] },
            { base: 17, producerId: 7, transactional: true, records: rows(3, 'committed') },
            { base: 20, producerId: 7, control: 'commit', records: [] },
            { base: 21, records: rows(2, 'plain') },
            { base: 30, producerId: 7, transactional: true, records: rows(2, 'aborted-2') },
            { base: 32, producerId: 7, control: 'abort', records: [] },
          ],
        },
      ],
    },
  ]);
  const p = decoded.responses[0]!.partitions[0]!;
  assert.deepEqual(
    p.records.map((r) => r.key),
    [
      'other-producer-0',
      'other-producer-1',
      'committed-0',
      'committed-1',
      'committed-2',
      'plain-0',
      'plain-1',
    ],
  );
  assert.equal(p.nextOffset, 33, 'the next fetch starts after the last marker');
});

test('gzip batches are inflated; a batch cut at maxBytes is left for the next fetch', async () => {
  const decoded = await compare([
    {
      name: 't',
      partitions: [
        {
          partition: 0,
          batches: [
            { base: 0, gzip: true, records: rows(50, 'z') },
            { base: 50, records: rows(5, 'p') },
            { base: 55, records: rows(5, 'cut') },
          ],
          cut: 7,
        },
      ],
    },
  ]);
  const p = decoded.responses[0]!.partitions[0]!;
  assert.equal(p.records.length, 55);
  assert.equal(p.nextOffset, 55, 'the cut batch is not counted');
});

test('partition error codes are reported, and only format v2 is accepted', async () => {
  const raw = await response([{ name: 't', partitions: [{ partition: 4, errorCode: 6, batches: [] }] }]);
  const decoded = await decodeFetchResponse(raw, () => 0, decompress);
  assert.equal(decoded.responses[0]!.partitions[0]!.errorCode, 6);

  const good = await response([
    { name: 't', partitions: [{ partition: 0, batches: [{ base: 0, records: rows(1, 'q') }] }] },
  ]);
  const legacy = Buffer.from(good);
  // the batch is the last thing in the response; its magic byte is 16 bytes into it
  const batchStart = legacy.length - (await batch({ base: 0, records: rows(1, 'q') })).length;
  legacy[batchStart + 16] = 1;
  await assert.rejects(
    decodeFetchResponse(legacy, () => 0, decompress),
    /format v1 .* only v2/,
  );
});
