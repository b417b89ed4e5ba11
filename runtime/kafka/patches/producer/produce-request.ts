// kafkajs 2.2.4's produce v3 request (also v4–v7, which reuse it) encodes every record into an
// Encoder of its own (an object spread, Long arithmetic and a few small buffers per record), then
// copies the records into the batch, the batch into the partition and so on up to the request:
// ~24% of streamfold's CPU in scenario (a). This encoder sizes the whole request first and writes
// it into one buffer, byte for byte what kafkajs writes. Inputs off the common path (a compressed
// batch, a value kafkajs would reject or a timestamp delta beyond 2^52) go to kafkajs' encoder.

/** The request kafkajs' produce v3 module returns (apiVersion is overridden by v4–v7). */
export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<unknown>;
}
export interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
  timestamp?: unknown;
}
export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: {
    topic: string;
    partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[];
  }[];
}
/** The kafkajs parts the encoder needs: its Encoder (the result type), Long, crc32C, the original. */
export interface KafkajsParts {
  newEncoder(buffer: Buffer): unknown;
  toBigInt(value: unknown): bigint;
  crc32C(buffer: Buffer): number;
  original(args: ProduceArgs): ProduceRequest;
}

const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** Beyond this a zigzag-encoded delta is no longer exact in a double: kafkajs' Long path handles it. */
const MAX_FAST_DELTA = 2 ** 52;
/** firstOffset, length, partitionLeaderEpoch, magic, crc, attributes … firstSequence, record count */
const BATCH_OVERHEAD = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

function sizeOfVarInt(value: number): number {
  let encoded = (value << 1) ^ (value >> 31);
  let bytes = 1;
  while ((encoded & 0xffffff80) !== 0) {
    bytes += 1;
    encoded >>>= 7;
  }
  return bytes;
}

function zigzag64(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function sizeOfVarLong(value: number): number {
  let encoded = zigzag64(value);
  let bytes = 1;
  while (encoded >= 128) {
    bytes += 1;
    encoded = Math.floor(encoded / 128);
  }
  return bytes;
}

/** Byte length of a key, value or header value (-1: null); undefined: not a type kafkajs encodes. */
function byteLengthOf(value: unknown): number | undefined {
  if (value === null || value === undefined) return -1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Buffer.isBuffer(value)) return value.length;
  return undefined;
}

function sizeOfBytes(length: number): number {
  return length < 0 ? sizeOfVarInt(-1) : sizeOfVarInt(length) + length;
}

/** kafkajs sorts timestamps with the default (string) order: first and last of that order. */
function timestampRange(messages: ProduceMessage[], now: number): [unknown, unknown] {
  let first: unknown;
  let last: unknown;
  let firstText = '';
  let lastText = '';
  for (const { timestamp } of messages) {
    if (timestamp === null || timestamp === undefined) continue;
    const text = String(timestamp);
    if (first === undefined) {
      [first, last, firstText, lastText] = [timestamp, timestamp, text, text];
      continue;
    }
    // the sort is stable: among equal texts the first stays first and the last stays last
    if (text < firstText) [first, firstText] = [timestamp, text];
    if (text >= lastText) [last, lastText] = [timestamp, text];
  }
  return first === undefined ? [now, now] : [first, last];
}

interface Header {
  key: string;
  value: unknown;
}

function headersOf(headers: Record<string, unknown> | undefined): Header[] {
  if (!headers) return [];
  const list: Header[] = [];
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (Array.isArray(value)) for (const v of value as unknown[]) list.push({ key, value: v });
    else list.push({ key, value });
  }
  return list;
}

/** The sizes of one partition's records, computed once and used again when writing. */
interface PartitionPlan {
  partition: number;
  firstSequence: number;
  messages: ProduceMessage[];
  firstTimestamp: unknown;
  maxTimestamp: unknown;
  deltas: number[];
  keyLengths: Int32Array;
  valueLengths: Int32Array;
  bodySizes: Int32Array;
  headers: (Header[] | undefined)[];
  /** Bytes of the record batch (from firstOffset to the last record). */
  size: number;
}

/** undefined: a record kafkajs' own encoder must handle (or reject). */
function planPartition(
  data: ProduceArgs['topicData'][number]['partitions'][number],
  now: number,
): PartitionPlan | undefined {
  const { messages } = data;
  const [firstTimestamp, maxTimestamp] = timestampRange(messages, now);
  const count = messages.length;
  const plan: PartitionPlan = {
    partition: data.partition,
    firstSequence: data.firstSequence ?? 0,
    messages,
    firstTimestamp,
    maxTimestamp,
    deltas: new Array<number>(count),
    keyLengths: new Int32Array(count),
    valueLengths: new Int32Array(count),
    bodySizes: new Int32Array(count),
    headers: new Array<Header[] | undefined>(count),
    size: BATCH_OVERHEAD,
  };
  const first = firstTimestamp as number; // kafkajs subtracts whatever the type: JS coerces
  for (let i = 0; i < count; i++) {
    const message = messages[i]!;
    const delta = ((message.timestamp || now) as number) - first;
    if (!Number.isInteger(delta) || Math.abs(delta) >= MAX_FAST_DELTA) return undefined;
    const keyLength = byteLengthOf(message.key);
    const valueLength = byteLengthOf(message.value);
    if (keyLength === undefined || valueLength === undefined) return undefined;
    let body = 1 + sizeOfVarLong(delta) + sizeOfVarInt(i) + sizeOfBytes(keyLength) + sizeOfBytes(valueLength);
    const headers = headersOf(message.headers);
    body += sizeOfVarInt(headers.length);
    for (const header of headers) {
      const length = byteLengthOf(header.value);
      // kafkajs throws on a null header value (Buffer.byteLength(null)): let it say so
      if (typeof header.key !== 'string' || length === undefined || length < 0) return undefined;
      body += sizeOfBytes(Buffer.byteLength(header.key)) + sizeOfBytes(length);
    }
    plan.deltas[i] = delta;
    plan.keyLengths[i] = keyLength;
    plan.valueLengths[i] = valueLength;
    plan.bodySizes[i] = body;
    plan.headers[i] = headers.length > 0 ? headers : undefined;
    plan.size += sizeOfVarInt(body) + body;
  }
  return plan;
}

/** A cursor over the request buffer with the writes kafkajs' Encoder makes. */
class Writer {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  int8(value: number): void {
    this.offset = this.buf.writeInt8(value, this.offset);
  }
  int16(value: number): void {
    this.offset = this.buf.writeInt16BE(value, this.offset);
  }
  int32(value: number): void {
    this.offset = this.buf.writeInt32BE(value, this.offset);
  }
  int64(value: bigint): void {
    this.offset = this.buf.writeBigInt64BE(BigInt.asIntN(64, value), this.offset);
  }
  string(value: string | null): void {
    if (value === null) return this.int16(-1);
    this.int16(Buffer.byteLength(value));
    this.offset += this.buf.write(value, this.offset);
  }
  varInt(value: number): void {
    let encoded = (value << 1) ^ (value >> 31);
    while ((encoded & 0xffffff80) !== 0) {
      this.buf[this.offset++] = (encoded & 0x7f) | 0x80;
      encoded >>>= 7;
    }
    this.buf[this.offset++] = encoded & 0x7f;
  }
  varLong(value: number): void {
    let encoded = zigzag64(value);
    while (encoded >= 128) {
      this.buf[this.offset++] = (encoded % 128) | 0x80;
      encoded = Math.floor(encoded / 128);
    }
    this.buf[this.offset++] = encoded;
  }
  /** A key, value or header value whose byte length was planned (-1: null). */
  bytes(value: unknown, length: number): void {
    this.varInt(length);
    if (length < 0) return;
    if (typeof value === 'string') this.buf.write(value, this.offset);
    else (value as Buffer).copy(this.buf, this.offset);
    this.offset += length;
  }
}

function writeBatch(
  w: Writer,
  plan: PartitionPlan,
  batch: { attributes: number; producerId: bigint; producerEpoch: number },
  parts: KafkajsParts,
): void {
  const count = plan.messages.length;
  w.int64(0n); // firstOffset
  w.int32(plan.size - 12); // the bytes after firstOffset and this length
  w.int32(0); // partitionLeaderEpoch
  w.int8(MAGIC_BYTE);
  const crcAt = w.offset;
  w.offset += 4;
  const bodyStart = w.offset;
  w.int16(batch.attributes);
  w.int32(count - 1); // lastOffsetDelta
  w.int64(parts.toBigInt(plan.firstTimestamp));
  w.int64(parts.toBigInt(plan.maxTimestamp));
  w.int64(batch.producerId);
  w.int16(batch.producerEpoch);
  w.int32(plan.firstSequence);
  w.int32(count);
  for (let i = 0; i < count; i++) {
    const message = plan.messages[i]!;
    w.varInt(plan.bodySizes[i]!);
    w.int8(0); // record attributes
    w.varLong(plan.deltas[i]!);
    w.varInt(i);
    w.bytes(message.key, plan.keyLengths[i]!);
    w.bytes(message.value, plan.valueLengths[i]!);
    const headers = plan.headers[i];
    w.varInt(headers?.length ?? 0);
    for (const header of headers ?? []) {
      w.bytes(header.key, Buffer.byteLength(header.key));
      w.bytes(header.value, byteLengthOf(header.value)!);
    }
  }
  w.buf.writeUInt32BE(parts.crc32C(w.buf.subarray(bodyStart, w.offset)), crcAt);
}

/** The request's bytes, or undefined when kafkajs' encoder must write them. */
export function encodeProduceRequest(
  args: ProduceArgs,
  parts: KafkajsParts,
  now: number,
): Buffer | undefined {
  if ((args.compression ?? 0) !== 0) return undefined;
  const transactionalId = args.transactionalId ?? null;
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  const topics: { topic: string; plans: PartitionPlan[] }[] = [];
  for (const { topic, partitions } of args.topicData) {
    const plans: PartitionPlan[] = [];
    size += 2 + Buffer.byteLength(topic) + 4;
    for (const data of partitions) {
      const plan = planPartition(data, now);
      if (!plan) return undefined;
      plans.push(plan);
      size += 4 + 4 + plan.size;
    }
    topics.push({ topic, plans });
  }
  const batch = {
    attributes: transactionalId ? TRANSACTIONAL_MASK : 0,
    producerId: parts.toBigInt(args.producerId ?? -1),
    producerEpoch: args.producerEpoch ?? 0,
  };
  const w = new Writer(Buffer.allocUnsafe(size));
  w.string(transactionalId);
  w.int16(args.acks);
  w.int32(args.timeout);
  w.int32(topics.length);
  for (const { topic, plans } of topics) {
    w.string(topic);
    w.int32(plans.length);
    for (const plan of plans) {
      w.int32(plan.partition);
      w.int32(plan.size);
      writeBatch(w, plan, batch, parts);
    }
  }
  if (w.offset !== size) throw new Error(`produce request: wrote ${w.offset} bytes of ${size} planned`);
  return w.buf;
}

/** A drop-in for kafkajs' produce v3 request module. */
export function produceRequest(parts: KafkajsParts) {
  return (args: ProduceArgs): ProduceRequest => {
    const request = parts.original(args);
    return {
      ...request,
      encode: async () => {
        const bytes = encodeProduceRequest(args, parts, Date.now());
        return bytes ? parts.newEncoder(bytes) : request.encode();
      },
    };
  };
}
