// A Fetch v11 response decoder made for restores: straight from the response bytes to the
// committed data records of each partition, without kafkajs' per-record objects.
//
// kafkajs decodes every record into an object with string offsets and timestamps, a Long per
// int64 and a headers object, then filters aborted transactions over those objects: a restore of
// 1M records spent a quarter of its CPU there and another quarter in the garbage collector. Here
// an offset is a number (changelog offsets stay far below 2^53), a key is its text (store keys are
// strings), a value is a view into the response buffer, and aborted or control batches are
// skipped whole, the way the Java consumer does under read_committed (its CompletedFetch): a transactional batch is skipped while an
// aborted transaction of its producer that started at or before the batch's last offset has not
// yet met its ABORT marker.
//
// A partition's records are read out of their batches only when asked for, either as entries or
// visited one at a time as byte ranges (`eachRawRecord`): a restore writes each
// visited record into its LevelDB batch at once, so no object per record is built or outlives the
// write (half a restore's CPU went to building them and to collecting them after they had waited
// through the previous chunk's write), and its key is copied as bytes, never decoded into text.
//
// Only the v2 record batch format exists on Kafka 4 brokers (older formats were removed in 4.0),
// so any other magic byte is an error. Compressed batches are inflated by the caller's codec.
import { Reader, readInt64 } from '../wire/reader.ts';
import type { ChangelogEntry, RawRecordVisitor } from './changelog-source.ts';

export interface DecodedPartition {
  partition: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Committed data records at or after the requested offset, in offset order (built on first read). */
  readonly records: ChangelogEntry[];
  /** The offset after the last complete batch (data, control or aborted); -1 when there was none. */
  nextOffset: number;
  /** True when the response carried at least one complete batch for this partition. */
  hadBatches: boolean;
  /** Some offset at or after the requested one is covered by no batch or record (see FetchedPartition.gap). */
  readonly gap: boolean;
  /** Visits the records of `records` as byte ranges, without building them or decoding keys; returns how many it visited. */
  eachRawRecord(visit: RawRecordVisitor): number;
}

export interface DecodedTopic {
  topicName: string;
  partitions: DecodedPartition[];
}

export interface DecodedFetch {
  throttleTime: number;
  errorCode: number;
  responses: DecodedTopic[];
}

/** Inflates the records section of a compressed batch (attributes & 7 is the codec id). */
export type Decompress = (codec: number, data: Buffer) => Promise<Buffer>;

/** Which offset was asked for, per partition: records before it in the first batch are dropped. */
export type RequestedOffset = (topic: string, partition: number) => number;

const BATCH_HEADER = 61; // bytes from the batch's first offset to its first record
const LOG_OVERHEAD = 12; // first offset (8) + batch length (4)
const COMPRESSION_MASK = 0x07;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const ABORT_MARKER = 0;

export async function decodeFetchResponse(
  data: Buffer,
  requested: RequestedOffset,
  decompress: Decompress,
): Promise<DecodedFetch> {
  const r = new Reader(data);
  const throttleTime = r.int32();
  const errorCode = r.int16();
  r.int32(); // session id
  const responses: DecodedTopic[] = [];
  for (let t = r.int32(); t > 0; t--) {
    const topicName = r.string();
    const partitions: DecodedPartition[] = [];
    for (let p = r.int32(); p > 0; p--) {
      const partition = r.int32();
      const partitionError = r.int16();
      const highWatermark = r.int64();
      const lastStableOffset = r.int64();
      const logStartOffset = r.int64();
      const aborted: Array<{ producerId: number; firstOffset: number }> = [];
      for (let a = r.int32(); a > 0; a--) aborted.push({ producerId: r.int64(), firstOffset: r.int64() });
      r.int32(); // preferred read replica
      const size = r.int32();
      const records = size > 0 ? r.bytes(size) : Buffer.alloc(0);
      const decoded = await decodeRecordSet(records, requested(topicName, partition), aborted, decompress);
      partitions.push(
        new RecordSet(
          { partition, errorCode: partitionError, highWatermark, lastStableOffset, logStartOffset },
          decoded,
        ),
      );
    }
    responses.push({ topicName, partitions });
  }
  return { throttleTime, errorCode, responses };
}

/** A data batch that passed the read_committed filter, its records not yet read. */
interface DataBatch {
  body: Buffer;
  count: number;
  baseOffset: number;
  lastOffset: number;
  firstTimestamp: number;
}

interface ScannedRecordSet {
  batches: DataBatch[];
  from: number;
  nextOffset: number;
  hadBatches: boolean;
  /** Offsets are missing between batches (records inside a batch are checked when read). */
  batchGap: boolean;
}

/**
 * One partition of a response. Its records are read from the batches only when asked for: as
 * entries (`records`, built once) or visited one by one as byte ranges (`eachRawRecord`, for a
 * restore: no object per record, nothing kept across the caller's awaits for the collector).
 */
class RecordSet implements DecodedPartition {
  partition: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  nextOffset: number;
  hadBatches: boolean;
  private readonly batches: DataBatch[];
  private readonly from: number;
  private readonly batchGap: boolean;
  private built: { records: ChangelogEntry[]; gap: boolean } | undefined;

  constructor(
    header: Pick<
      DecodedPartition,
      'partition' | 'errorCode' | 'highWatermark' | 'lastStableOffset' | 'logStartOffset'
    >,
    scanned: ScannedRecordSet,
  ) {
    this.partition = header.partition;
    this.errorCode = header.errorCode;
    this.highWatermark = header.highWatermark;
    this.lastStableOffset = header.lastStableOffset;
    this.logStartOffset = header.logStartOffset;
    this.nextOffset = scanned.nextOffset;
    this.hadBatches = scanned.hadBatches;
    this.batches = scanned.batches;
    this.from = scanned.from;
    this.batchGap = scanned.batchGap;
  }

  get records(): ChangelogEntry[] {
    return this.build().records;
  }

  get gap(): boolean {
    return this.build().gap;
  }

  eachRawRecord(visit: RawRecordVisitor): number {
    let n = 0;
    for (const b of this.batches) n += readRawRecords(b, this.from, visit);
    return n;
  }

  private build(): { records: ChangelogEntry[]; gap: boolean } {
    if (this.built) return this.built;
    const records: ChangelogEntry[] = [];
    let gap = this.batchGap;
    for (const b of this.batches) {
      // Offsets skipped inside a batch, or a batch ending early: compaction removed records.
      let expected = Math.max(this.from, b.baseOffset);
      readRawRecords(
        b,
        this.from,
        (bytes, keyStart, keyLength, valueStart, valueLength, offset, timestamp) => {
          if (offset > expected) gap = true;
          expected = offset + 1;
          records.push({
            offset,
            key: keyLength < 0 ? null : bytes.toString('utf8', keyStart, keyStart + keyLength),
            value: valueLength < 0 ? null : bytes.subarray(valueStart, valueStart + valueLength),
            timestamp,
          });
        },
      );
      if (expected <= b.lastOffset) gap = true;
    }
    this.built = { records, gap };
    return this.built;
  }
}

async function decodeRecordSet(
  set: Buffer,
  from: number,
  abortedTransactions: Array<{ producerId: number; firstOffset: number }>,
  decompress: Decompress,
): Promise<ScannedRecordSet> {
  const batches: DataBatch[] = [];
  // The next offset expected to be covered: a batch starting after it means removed records.
  let expected = from;
  let batchGap = false;
  const pendingAborts = abortedTransactions.sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedProducers = new Set<number>();
  let nextOffset = -1;
  let pos = 0;
  // A fetch stops at maxBytes, so the last batch may be cut short: it is read again next time.
  while (pos + LOG_OVERHEAD <= set.length) {
    const baseOffset = readInt64(set, pos);
    const end = pos + LOG_OVERHEAD + set.readInt32BE(pos + 8);
    if (end > set.length) break;
    const magic = set.readInt8(pos + 16);
    if (magic !== 2)
      throw new Error(`record batch format v${magic} at offset ${baseOffset}; only v2 is supported`);
    const attributes = set.readInt16BE(pos + 21);
    const lastOffset = baseOffset + set.readInt32BE(pos + 23);
    const producerId = readInt64(set, pos + 43);
    const count = set.readInt32BE(pos + 57);
    const batchStart = pos;
    pos = end;
    nextOffset = lastOffset + 1;
    if (baseOffset > expected) batchGap = true;
    expected = Math.max(expected, nextOffset);

    if (attributes & TRANSACTIONAL) {
      while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset <= lastOffset)
        abortedProducers.add(pendingAborts.shift()!.producerId);
    }
    if (attributes & CONTROL) {
      // One control record; its key is (version int16, type int16). An ABORT ends the abort.
      const body = set.subarray(batchStart + BATCH_HEADER, end);
      const key = controlKey(body);
      if (key !== null && key.readInt16BE(2) === ABORT_MARKER) abortedProducers.delete(producerId);
      continue;
    }
    if (attributes & TRANSACTIONAL && abortedProducers.has(producerId)) continue;
    if (lastOffset < from) continue;

    const codec = attributes & COMPRESSION_MASK;
    const body =
      codec === 0
        ? set.subarray(batchStart + BATCH_HEADER, end)
        : await decompress(codec, set.subarray(batchStart + BATCH_HEADER, end));
    batches.push({ body, count, baseOffset, lastOffset, firstTimestamp: readInt64(set, batchStart + 27) });
  }
  return { batches, from, nextOffset, hadBatches: nextOffset !== -1, batchGap };
}

/** Visits the records of one batch body at or after `from`, key and value as ranges of the body; returns how many. */
function readRawRecords(b: DataBatch, from: number, visit: RawRecordVisitor): number {
  const r = new Reader(b.body);
  let n = 0;
  for (let i = 0; i < b.count; i++) {
    const length = r.varint();
    const next = r.pos + length;
    if (next > b.body.length) throw new Error('truncated record');
    r.pos++; // attributes (unused)
    const timestamp = b.firstTimestamp + r.varlong();
    const offset = b.baseOffset + r.varint();
    if (offset >= from) {
      const keyLength = r.varint();
      const keyStart = r.pos;
      if (keyLength > 0) r.pos += keyLength;
      const valueLength = r.varint();
      const valueStart = r.pos;
      if (valueStart + Math.max(valueLength, 0) > next) throw new Error('truncated record');
      visit(b.body, keyStart, keyLength, valueStart, valueLength, offset, timestamp);
      n++;
    }
    r.pos = next; // headers are not part of a store's row
  }
  return n;
}

function controlKey(body: Buffer): Buffer | null {
  const r = new Reader(body);
  r.varint(); // length
  r.pos++; // attributes
  r.varlong(); // timestamp delta
  r.varint(); // offset delta
  return r.varBytes();
}
