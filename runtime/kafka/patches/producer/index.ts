// Two hot spots of kafkajs 2.2.4's producer, measured in scenario (a) (bench/profiles/README.md):
// - it groups a produce call's messages by partition with `[...current, message]` per message:
//   quadratic in the messages per partition (~13% of streamfold's CPU at ~3 000 records a call);
// - it encodes each record into a fresh zero-filled 512-byte buffer, then copies it into the batch
//   (allocation and GC for every record).
// - it encodes a produce request record by record (produce-request.ts).
// This swaps in a linear grouping, a record encoder that sizes its buffer exactly (still used for
// compressed batches) and a produce request encoder writing the whole request into one buffer, all
// with byte-identical results, before kafkajs loads its producer: this module must be evaluated
// before the first `import 'kafkajs'` of the process (bin/streamfold.js, runtime/app/application.ts).
import { createRequire } from 'node:module';
import { produceRequest, type ProduceArgs, type ProduceRequest } from './produce-request.ts';

type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;

export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: Partitioner;
}): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

const require = createRequire(import.meta.url);

interface KafkaEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  writeVarInt(v: number): KafkaEncoder;
  writeInt8(v: number): KafkaEncoder;
  writeVarLong(v: number): KafkaEncoder;
  writeVarIntBytes(v: unknown): KafkaEncoder;
  writeVarIntArray(v: unknown[]): KafkaEncoder;
}
interface EncoderClass {
  new (size?: number): KafkaEncoder;
  sizeOfVarInt(v: number): number;
  sizeOfVarLong(v: number): number;
  sizeOfVarIntBytes(v: unknown): number;
}
type RecordArgs = {
  offsetDelta?: number;
  timestampDelta?: number;
  key: unknown;
  value: unknown;
  headers?: Record<string, unknown>;
};

/** kafkajs' Record v0 encoder with an exactly sized, unzeroed buffer (headers: its own code path). */
export function recordEncoder(Encoder: EncoderClass, original: (args: RecordArgs) => KafkaEncoder) {
  return (args: RecordArgs): KafkaEncoder => {
    const { offsetDelta = 0, timestampDelta = 0, key, value, headers } = args;
    // Records with headers are rare here (non-string keys): the original handles them.
    if (headers && Object.keys(headers).length > 0) return original(args);
    const sizeOfBody =
      1 +
      Encoder.sizeOfVarLong(timestampDelta) +
      Encoder.sizeOfVarInt(offsetDelta) +
      Encoder.sizeOfVarIntBytes(key) +
      Encoder.sizeOfVarIntBytes(value) +
      Encoder.sizeOfVarInt(0);
    const encoder = new Encoder(0);
    // Every byte is written below; a wrong size would only make the encoder grow, not corrupt.
    encoder.buf = Buffer.allocUnsafe(Encoder.sizeOfVarInt(sizeOfBody) + sizeOfBody);
    return encoder
      .writeVarInt(sizeOfBody)
      .writeInt8(0)
      .writeVarLong(timestampDelta)
      .writeVarInt(offsetDelta)
      .writeVarIntBytes(key)
      .writeVarIntBytes(value)
      .writeVarIntArray([]);
  };
}

export function kafkajsParts(Encoder: EncoderClass, original: (args: ProduceArgs) => ProduceRequest) {
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): { value: bigint } };
  const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
  return {
    newEncoder: (buffer: Buffer) => {
      const encoder = new Encoder(0);
      encoder.buf = buffer;
      encoder.offset = buffer.length;
      return encoder;
    },
    toBigInt: (value: unknown) => Long.fromValue(value).value,
    crc32C,
    original,
  };
}

/** True when the linear grouping is in effect (false: kafkajs' producer was loaded before this module). */
export const producerPatched: boolean = (() => {
  try {
    const grouping = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
    const record = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js');
    const produce = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
    // v4–v7 take the v3 module when they load
    const users = [
      require.resolve('kafkajs/src/producer/sendMessages.js'),
      produce,
      ...[4, 5, 6, 7].map((v) => require.resolve(`kafkajs/src/protocol/requests/produce/v${v}/request.js`)),
    ];
    if (users.some((u) => require.cache[u])) return false;
    const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
    const original = require(record) as (args: RecordArgs) => KafkaEncoder;
    require(grouping);
    const groupingModule = require.cache[grouping];
    const recordModule = require.cache[record];
    if (!groupingModule || !recordModule) return false;
    groupingModule.exports = groupMessagesPerPartition;
    recordModule.exports = recordEncoder(Encoder, original);
    // after the record swap: kafkajs' request (the fallback) then takes the faster record encoder
    const originalProduce = require(produce) as (args: ProduceArgs) => ProduceRequest;
    const produceModule = require.cache[produce];
    if (!produceModule) return false;
    produceModule.exports = produceRequest(kafkajsParts(Encoder, originalProduce));
    return true;
  } catch {
    // another kafkajs layout: keep its own grouping
    return false;
  }
})();
