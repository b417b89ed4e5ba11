// kafkajs' record batch decoder (recordBatch/v0/decoder.js), the same output built with plain
// numbers. kafkajs reads every record through a fresh Decoder, decodes its timestamp delta as a chain
// of Long objects (one per byte and step), parses the batch's first offset and timestamp from their
// strings again for each record, and builds its headers by spreading an object per header: in a
// profile of scenario (f) these were 28% of all the bytes the process allocated (12% in readVarLong
// alone), every record read paying for them twice when it goes through a repartition topic.
//
// The result is field for field what kafkajs returns (test/unit/runtime/fetch-patch.test.ts
// compares the two over encoded batches: compressed, transactional, control, with headers, log
// append time), so kafkajs' consumer, its aborted-transaction filter and the compaction-gap
// placeholders (index.ts) see no difference.
import { createRequire } from 'node:module';
import { Reader, readInt64 } from '../../wire/reader.ts';
import type { DecodedRecordBatch } from './index.ts';

/** What is used of kafkajs' Decoder: its buffer, its position, and moving past a batch. */
export interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
  forward(bytes: number): void;
}

const require = createRequire(import.meta.url);
const { KafkaJSPartialMessageError } = require('kafkajs/src/errors.js') as {
  KafkaJSPartialMessageError: new (message: string) => Error;
};
const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression/index.js') as {
  lookupCodecByAttributes: (attributes: number) => { decompress(data: Buffer): Promise<Buffer> } | undefined;
};
const TimestampTypes = require('kafkajs/src/protocol/timestampTypes.js') as {
  CREATE_TIME: number;
  LOG_APPEND_TIME: number;
};

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;

type Headers = Record<string, Buffer | null | Array<Buffer | null>>;

/** An int64 as kafkajs writes it (a decimal string), exact beyond 2^53 too. */
const int64Text = (buf: Buffer, at: number): string => buf.readBigInt64BE(at).toString();

/** base + delta as a decimal string; numbers while exact (always, for offsets and timestamps). */
function plus(base: number, baseText: string, delta: number): string {
  const sum = base + delta;
  return Number.isSafeInteger(base) && Number.isSafeInteger(sum)
    ? String(sum)
    : (BigInt(baseText) + BigInt(delta)).toString();
}

export async function decodeRecordBatch(fetchDecoder: KafkaDecoder): Promise<DecodedRecordBatch> {
  const buf = fetchDecoder.buffer;
  const at = fetchDecoder.offset;
  const firstOffset = int64Text(buf, at);
  const length = buf.readInt32BE(at + 8);
  const start = at + 12;
  fetchDecoder.forward(12 + length);
  const available = Math.max(0, Math.min(length, buf.length - start));
  if (available < length)
    throw new KafkaJSPartialMessageError(
      `Tried to decode a partial record batch: remainingBytes(${available}) < recordBatchLength(${length})`,
    );
  const r = new Reader(buf);
  r.pos = start;
  const partitionLeaderEpoch = r.int32();
  const magicByte = buf.readInt8(r.pos);
  r.pos += 1 + 4; // magic, CRC (kafkajs does not check it either)
  const attributes = r.int16();
  const lastOffsetDelta = r.int32();
  const firstTimestamp = int64Text(buf, r.pos);
  const maxTimestamp = int64Text(buf, r.pos + 8);
  const producerId = int64Text(buf, r.pos + 16);
  r.pos += 24;
  const producerEpoch = r.int16();
  const firstSequence = r.int32();

  const recordContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType:
      (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0
        ? TimestampTypes.LOG_APPEND_TIME
        : TimestampTypes.CREATE_TIME,
  };
  const batchContext = { ...recordContext, magicByte };

  const count = r.int32();
  let body = r;
  const codec = lookupCodecByAttributes(attributes);
  if (codec) {
    if (count <= 0) return { ...recordContext, records: [] };
    body = new Reader(await codec.decompress(buf.subarray(r.pos, start + length)));
  } else if (count === -1) return { ...recordContext, records: [] };

  const appendTime = batchContext.timestampType === TimestampTypes.LOG_APPEND_TIME && maxTimestamp;
  const baseOffset = readInt64(buf, at);
  const baseTimestamp = readInt64(buf, start + 15);
  const records = new Array(count);
  for (let i = 0; i < count; i++) {
    const recordLength = body.varint();
    const next = body.pos + recordLength;
    const recordAttributes = body.buf.readInt8(body.pos++);
    const timestampDelta = body.varlong();
    const offsetDelta = body.varint();
    const key = body.varBytes();
    const value = body.varBytes();
    const headers: Headers = {};
    for (let h = body.varint(); h > 0; h--) addHeader(headers, body.varString() as string, body.varBytes());
    body.pos = next;
    records[i] = {
      magicByte,
      attributes: recordAttributes,
      timestamp: appendTime || plus(baseTimestamp, firstTimestamp, timestampDelta),
      offset: plus(baseOffset, firstOffset, offsetDelta),
      key,
      value,
      headers,
      isControlRecord: batchContext.isControlBatch,
      batchContext,
    };
  }
  return { ...recordContext, records };
}

/** kafkajs' header object: a repeated key collects its values in an array, in order. */
function addHeader(headers: Headers, key: string, value: Buffer | null): void {
  const old = headers[key];
  const merged = old === undefined ? value : Array.isArray(old) ? old.concat([value]) : [old, value];
  // an own property even for "__proto__", as kafkajs' object spread makes it
  if (key === '__proto__')
    Object.defineProperty(headers, key, {
      value: merged,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else headers[key] = merged;
}
