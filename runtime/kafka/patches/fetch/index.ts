// kafkajs 2.2.4 cannot read past a record batch that log compaction emptied.
//
// The log cleaner removes the records of aborted transactions and every record a later one with
// the same key supersedes. When it removes all records of a batch, it may keep the batch header
// (to preserve the producer's state): a batch of zero records that still covers its offsets, e.g.
// 0..32. kafkajs decodes such a batch as no messages at all, so the consumer's runner sees an empty
// fetch, resolves nothing and fetches the same offset again, forever: the partition is never read
// past it. A batch whose trailing records were removed has the same gap at its end. Output and
// changelog topics are compacted and written in transactions, so this happens to streamfold's own
// topics: on an output topic whose first transaction was aborted (a crash), a consumer from offset 0
// (a reader of the projection, a downstream projection, a new version) stalls on that partition; the
// changelog reader of a restore took the empty answer for the end of the log.
//
// The Java consumer advances past a batch by its last offset (base offset + last offset delta),
// whatever records are left in it. This patch does the same for kafkajs: a record batch whose last
// record ends before the batch's last offset gets a placeholder control record at that offset.
// Control records are never handed to eachBatch/eachMessage, but they count for kafkajs' "batch
// emptied by filtering" path (PR #1256): it resolves the batch's last offset and moves on, as it does
// after a batch of transaction markers. Readers of raw fetches skip control records already.
//
// The batches themselves are decoded by record-batch.ts instead of kafkajs' decoder: the same
// objects, without its Long arithmetic per record.
import { createRequire } from 'node:module';
import { decodeRecordBatch, type KafkaDecoder } from './record-batch.ts';

const require = createRequire(import.meta.url);

/** What kafkajs' RecordBatch v0 decoder returns (the fields used here). */
export interface DecodedRecordBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  inTransaction: boolean;
  records: Array<{ offset: string; [field: string]: unknown }>;
}

type RecordBatchDecoder = (decoder: KafkaDecoder) => Promise<DecodedRecordBatch>;

/** The placeholder's marker, for tests and diagnostics. */
export const COMPACTION_GAP = 'compactionGap';

/**
 * Adds placeholder control records where a batch covers offsets no record occupies: at its last
 * offset when its last record ends before it, and, for a batch left without any record, also at its
 * base offset (the first offset a consumer positioned at the gap fetches; the runtime only moves a
 * task past a batch of control records that starts at or before the task's position).
 */
export function withCompactionGap(batch: DecodedRecordBatch): DecodedRecordBatch {
  const base = BigInt(batch.firstOffset);
  const lastOffset = base + BigInt(batch.lastOffsetDelta);
  const last = batch.records.at(-1);
  if (last && BigInt(last.offset) >= lastOffset) return batch;
  if (!last && lastOffset > base) batch.records.push(placeholder(batch, base));
  batch.records.push(placeholder(batch, lastOffset));
  return batch;
}

function placeholder(batch: DecodedRecordBatch, offset: bigint): DecodedRecordBatch['records'][number] {
  return {
    magicByte: 2,
    attributes: 0,
    timestamp: batch.maxTimestamp,
    offset: offset.toString(),
    key: null,
    value: null,
    headers: {},
    isControlRecord: true,
    [COMPACTION_GAP]: true,
    batchContext: {
      firstOffset: batch.firstOffset,
      lastOffsetDelta: batch.lastOffsetDelta,
      maxTimestamp: batch.maxTimestamp,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      inTransaction: batch.inTransaction,
      isControlBatch: false,
    },
  };
}

export function recordBatchDecoder(original: RecordBatchDecoder): RecordBatchDecoder {
  return async (decoder) => withCompactionGap(await original(decoder));
}

/**
 * True when fetches decode through the patch. The decoder is taken by kafkajs' fetch response
 * module when the first fetch loads it, so this module must be evaluated before the process's
 * first fetch (false: a fetch happened before, kafkajs keeps its own decoder).
 */
export const fetchPatched: boolean = (() => {
  try {
    const batchDecoder = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');
    const user = require.resolve('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js');
    if (require.cache[user]) return false;
    // kafkajs' own decoder is replaced whole (record-batch.ts); still loaded, so a kafkajs without it fails here
    require(batchDecoder);
    const module = require.cache[batchDecoder];
    if (!module) return false;
    module.exports = recordBatchDecoder(decodeRecordBatch);
    return true;
  } catch {
    // another kafkajs layout: keep its own decoder
    return false;
  }
})();

interface FilterMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}
interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]); // control record key: version 0, type 0 (ABORT)

/**
 * read_committed as the Java consumer does it. kafkajs' filter (consumer/filterAbortedMessages)
 * takes the broker's aborted transactions in list order and steps into at most one per message.
 * The broker lists them in the order they were aborted, not by first offset, and a fetch that
 * starts inside two aborted transactions needs both in force at its first message: in either case
 * kafkajs hands aborted records to eachBatch. The exchange topics, written by one transactional
 * producer per task, get overlapping aborted transactions after a crash. Here every aborted
 * transaction that started at or before a message's offset is in force for its producer until that
 * producer's ABORT marker. Control records pass (kafkajs drops them afterwards).
 */
export function filterAbortedMessages<M extends FilterMessage>(args: {
  messages: M[];
  abortedTransactions?: AbortedTransaction[];
}): M[] {
  const { messages, abortedTransactions } = args;
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const pending = abortedTransactions
    .map((a) => ({ producerId: String(a.producerId), firstOffset: BigInt(a.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const aborted = new Set<string>();
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    while (pending.length > 0 && pending[0]!.firstOffset <= offset) aborted.add(pending.shift()!.producerId);
    const { producerId, inTransaction } = m.batchContext;
    if (m.isControlRecord) {
      if (m.key !== null && ABORT_MARKER_KEY.equals(m.key)) aborted.delete(producerId);
      return true;
    }
    return !(inTransaction && aborted.has(producerId));
  });
}

/**
 * True when kafkajs' consumer filters with the function above. Its batch module takes the filter
 * when it loads, so this module must be evaluated before kafkajs' consumer (runtime/cli/main.ts
 * and runtime/app/application.ts import it before kafkajs).
 */
export const abortedFilterPatched: boolean = (() => {
  try {
    const filter = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
    const user = require.resolve('kafkajs/src/consumer/batch.js');
    if (require.cache[user]) return false;
    require(filter);
    const module = require.cache[filter];
    if (!module) return false;
    module.exports = filterAbortedMessages;
    return true;
  } catch {
    return false; // another kafkajs layout: keep its own filter
  }
})();
