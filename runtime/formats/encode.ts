// Encoding what the runtime writes: projection records (output and internal feed topics) and
// exchange records. Keys are encodeKey() strings, so the producer's default (Java-compatible
// murmur2) partitioner sends a key to the same partition number, i.e. the same task, as the engine
// expects; values are JSON.
import { encodeKey } from '../../projections/keys.ts';
import type { OutputRecord } from '../../projections/records.ts';
import { binaryWindowedKey, isWindowedKey } from '../../projections/windows/keys.ts';
import type { WindowType } from '../../projections/windows/spec.ts';
import { KEY_FORMAT_HEADER } from './decode.ts';

export interface EncodedMessage {
  /** Bytes only for Kafka Streams' binary windowed keys (`output.windowedKey: binary`). */
  key: string | Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers?: Record<string, string>;
}

/** The headers of a record whose key is JSON; one frozen object for all (nothing writes to them). */
const JSON_KEY_HEADERS: Readonly<Record<string, string>> = Object.freeze({ [KEY_FORMAT_HEADER]: 'json' });

/** `encodedKey`: encodeKey(record.key) (null for no key) when the caller has it already. */
export function encodeProjectionRecord(
  record: OutputRecord,
  binaryWindows?: WindowType,
  encodedKey?: string | null,
): EncodedMessage {
  const k = record.key;
  if (binaryWindows && isWindowedKey(k)) {
    // Kafka Streams' layout: the group key as its string serde writes it (encodeKey's UTF-8), then
    // the window times. Readers need no header: the topic is declared binary-keyed.
    const keyBytes = Buffer.from(encodeKey(k.key), 'utf8');
    return {
      key: Buffer.from(binaryWindowedKey(keyBytes, k.window, binaryWindows)),
      value: record.value === null ? null : Buffer.from(JSON.stringify(record.value), 'utf8'),
      timestamp: String(Math.max(0, Math.trunc(record.timestamp))),
    };
  }
  const message: EncodedMessage = {
    key: encodedKey !== undefined ? encodedKey : k === null || k === undefined ? null : encodeKey(k),
    value: record.value === null ? null : Buffer.from(JSON.stringify(record.value), 'utf8'),
    timestamp: String(Math.max(0, Math.trunc(record.timestamp))),
  };
  // Non-string keys (numbers, composite objects) are JSON on the wire; the header tells a reading
  // projection to parse them back, so `_key` keeps its type downstream.
  if (k !== null && k !== undefined && typeof k !== 'string') message.headers = JSON_KEY_HEADERS;
  return message;
}

/**
 * Exchange records carry their event time in the value; the Kafka timestamp is the wall clock, so
 * the exchange topic's time-based retention never deletes records before the reader got them.
 */
export function encodeExchangeRecord(key: string, value: unknown, now: number): EncodedMessage {
  return { key, value: Buffer.from(JSON.stringify(value), 'utf8'), timestamp: String(now) };
}
