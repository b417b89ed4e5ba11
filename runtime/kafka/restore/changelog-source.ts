// What a restore needs from Kafka, as an interface: reading chosen partitions from chosen offsets
// with no consumer group. kafka-changelog-source.ts implements it with kafkajs; tests use a fake.
import type { TopicPartition } from '../../stores/checkpoint.ts';

export interface OffsetRange {
  /** The log start offset: records below it are gone. */
  earliest: number;
  /** The offset after the last readable record (the last stable offset under read_committed). */
  end: number;
}

export interface ChangelogEntry {
  offset: number;
  /** The key as UTF-8 text: store keys are strings (a changelog record without a key is skipped). */
  key: string | null;
  /** null is a tombstone. */
  value: Buffer | null;
  /** The record's timestamp (ms since the epoch); set by the Kafka source, fakes may omit it. */
  timestamp?: number;
}

export interface FetchedPartition extends TopicPartition {
  /** Committed data records at or after the requested offset, in offset order. */
  records: ChangelogEntry[];
  /** The offset to fetch next: after the last record seen, control and aborted records included. */
  nextOffset: number;
  /**
   * Nothing at or after the requested offset is readable (e.g. the tail was compacted away).
   * An empty answer alone does not mean this: a full response can leave a partition out.
   */
  endOfLog: boolean;
  /**
   * Offsets at or after the requested one are missing between the batches or records read: log
   * compaction removed records there (or the records of aborted transactions). Change feeds use it;
   * a restore does not care (it wants the latest value per key only).
   */
  gap?: boolean;
  /**
   * Visits `records` in order as byte ranges of the response, without building them or decoding
   * keys into text, when the source can (the Kafka source can); returns how many it visited. A
   * restore copies them into LevelDB as they are (a store key's text is its UTF-8 bytes): see
   * fetch-response.ts.
   */
  eachRawRecord?(visit: RawRecordVisitor): number;
}

/**
 * Visits one record as ranges of `bytes`, which are valid only during the call: its key (keyLength
 * -1: none) and its value (valueLength -1: a tombstone).
 */
export type RawRecordVisitor = (
  bytes: Buffer,
  keyStart: number,
  keyLength: number,
  valueStart: number,
  valueLength: number,
  offset: number,
  timestamp: number,
) => void;

export interface ChangelogSource {
  offsets(partitions: TopicPartition[]): Promise<Map<string, OffsetRange>>;
  fetch(positions: Array<TopicPartition & { offset: number }>): Promise<FetchedPartition[]>;
  close(): Promise<void>;
}
