// Decoding Kafka records into the engine's InputRecord, per input topic. Three kinds of topic:
// - source topics: the user's events; key as a string or JSON (source `keyFormat`), value JSON;
// - projection topics (a projection's output read by another projection): written by us, JSON
//   values; keys are encodeKey() strings, and a header marks keys that were not strings (numbers,
//   composite objects) so they come back as the same JSON value;
// - exchange topics: written by us; the value carries everything (the key is never decoded) and its
//   `t` field is the event time, as in the pure Executor.
// A record that cannot be decoded throws DecodeFailure; the task hands it to the poison handler.
import type { InputRecord } from '../../projections/records.ts';
import type { RawRecord } from './raw-record.ts';

export type TopicRole = 'source' | 'projection' | 'exchange';

/** Header on projection-topic records whose key was not a string: the key bytes are JSON. */
export const KEY_FORMAT_HEADER = 'streamfold-key-format';

export type DecodeFailureKind = 'key-not-json' | 'value-not-json';

export class DecodeFailure extends Error {
  override name = 'DecodeFailure';
  constructor(
    readonly kind: DecodeFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface TopicDecoder {
  decode(raw: RawRecord): InputRecord;
}

export interface DecoderSpec {
  role: TopicRole;
  /** Source topics only (default string). */
  keyFormat?: 'string' | 'json';
}

export function decoderFor(spec: DecoderSpec): TopicDecoder {
  switch (spec.role) {
    case 'source':
      return {
        decode: (raw) =>
          input(raw, spec.keyFormat === 'json' ? jsonKey(raw.key) : stringKey(raw.key), jsonValue(raw.value)),
      };
    case 'projection':
      return {
        decode: (raw) =>
          input(
            raw,
            raw.headers?.[KEY_FORMAT_HEADER] === 'json' ? jsonKey(raw.key) : stringKey(raw.key),
            jsonValue(raw.value),
          ),
      };
    case 'exchange':
      return {
        decode: (raw) => {
          const value = jsonValue(raw.value);
          const t = (value as { t?: unknown } | null)?.t;
          const record = input(raw, stringKey(raw.key), value);
          if (typeof t === 'number') record.timestamp = t;
          return record;
        },
      };
  }
}

function input(raw: RawRecord, key: unknown, value: unknown): InputRecord {
  return {
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    key,
    value,
    timestamp: raw.timestamp,
    headers: raw.headers,
  };
}

function stringKey(key: Buffer | null): string | null {
  return key === null ? null : key.toString('utf8');
}

function jsonKey(key: Buffer | null): unknown {
  if (key === null) return null;
  try {
    return JSON.parse(key.toString('utf8'));
  } catch (err) {
    throw new DecodeFailure('key-not-json', `the key is not JSON: ${(err as Error).message}`);
  }
}

function jsonValue(value: Buffer | null): unknown {
  if (value === null) return null;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new DecodeFailure('value-not-json', `the value is not JSON: ${(err as Error).message}`);
  }
}
