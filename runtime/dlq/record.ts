// Building a dead letter from a record that failed, and reading one back. A dead letter is the
// original record (key and value bytes, headers) plus `streamfold.error.*` headers saying why and
// where it came from, so it can be inspected and replayed unchanged.
import { classifyError, type DeadLetterKind, isDeadLetterKind, kindOfPoison } from './classify.ts';
import { DLQ_HEADER_PREFIX, DLQ_HEADERS, MAX_MESSAGE_LENGTH } from './headers.ts';

/** The record that failed, as it came off Kafka (structurally runtime/formats' RawRecord). */
export interface OriginRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** ms since the epoch */
  timestamp: number;
  headers?: Record<string, string | Buffer>;
}

/** What the runtime's poison hook reports (structurally runtime/formats' PoisonRecord). */
export interface PoisonLike {
  raw: OriginRecord;
  kind: string;
  message: string;
}

/** A message ready for producer.send (kafkajs Message). */
export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer>;
  /** ms since the epoch, as a string (kafkajs): when the record failed. */
  timestamp: string;
}

export interface DeadLetterOptions {
  /** The projection that met the record, when one did (decode failures happen before any). */
  projection?: string;
  /** The failure time (ms); default now. */
  now?: number;
  /** Overrides the classification of the error. */
  kind?: DeadLetterKind;
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
  return (text ?? String(err)).slice(0, MAX_MESSAGE_LENGTH);
}

/** A dead letter for `origin`, which failed with `err` (any thrown value). */
export function deadLetterRecord(
  origin: OriginRecord,
  err: unknown,
  opts: DeadLetterOptions = {},
): DeadLetterMessage {
  return build(origin, opts.kind ?? classifyError(err), messageOf(err), opts);
}

/** A dead letter from the runtime's poison hook (runtime/formats PoisonRecord). */
export function deadLetterFromPoison(poison: PoisonLike, opts: DeadLetterOptions = {}): DeadLetterMessage {
  return build(poison.raw, opts.kind ?? kindOfPoison(poison.kind), messageOf(poison.message), opts);
}

function build(
  origin: OriginRecord,
  kind: DeadLetterKind,
  message: string,
  opts: DeadLetterOptions,
): DeadLetterMessage {
  const now = opts.now ?? Date.now();
  const headers: Record<string, string | Buffer> = {};
  // The original headers first; a record that failed before (a replay) loses its old error headers.
  for (const [k, v] of Object.entries(origin.headers ?? {}))
    if (!k.startsWith(DLQ_HEADER_PREFIX)) headers[k] = v;
  headers[DLQ_HEADERS.kind] = kind;
  headers[DLQ_HEADERS.message] = message;
  headers[DLQ_HEADERS.sourceTopic] = origin.topic;
  headers[DLQ_HEADERS.sourcePartition] = String(origin.partition);
  headers[DLQ_HEADERS.sourceOffset] = String(origin.offset);
  headers[DLQ_HEADERS.sourceTimestamp] = String(origin.timestamp);
  if (opts.projection) headers[DLQ_HEADERS.projection] = opts.projection;
  headers[DLQ_HEADERS.time] = new Date(now).toISOString();
  return { key: origin.key, value: origin.value, headers, timestamp: String(now) };
}

/** A dead letter as read back from its topic. */
export interface DeadLetter {
  kind: DeadLetterKind;
  message: string;
  source: { topic: string; partition: number; offset: number; timestamp: number };
  projection?: string;
  /** Failure time, ms. */
  time: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The original record's headers, without the error headers. */
  headers: Record<string, Buffer>;
  /** Where the dead letter itself sits. */
  at: { topic: string; partition: number; offset: number };
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

const asBuffer = (v: HeaderValue): Buffer | undefined => {
  const last = Array.isArray(v) ? v.at(-1) : v;
  return last === undefined ? undefined : Buffer.isBuffer(last) ? last : Buffer.from(last, 'utf8');
};

/** Parses a consumed dead letter; undefined for a record without the error headers (not ours). */
export function parseDeadLetter(
  at: DeadLetter['at'],
  message: {
    key: Buffer | null;
    value: Buffer | null;
    timestamp: string;
    headers?: Record<string, HeaderValue>;
  },
): DeadLetter | undefined {
  const text = (name: string) => asBuffer(message.headers?.[name])?.toString('utf8');
  const kind = text(DLQ_HEADERS.kind);
  const topic = text(DLQ_HEADERS.sourceTopic);
  if (kind === undefined || topic === undefined) return undefined;
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    const b = asBuffer(v);
    if (b && !k.startsWith(DLQ_HEADER_PREFIX)) headers[k] = b;
  }
  const time = Date.parse(text(DLQ_HEADERS.time) ?? '');
  return {
    kind: isDeadLetterKind(kind) ? kind : 'process',
    message: text(DLQ_HEADERS.message) ?? '',
    source: {
      topic,
      partition: Number(text(DLQ_HEADERS.sourcePartition) ?? -1),
      offset: Number(text(DLQ_HEADERS.sourceOffset) ?? -1),
      timestamp: Number(text(DLQ_HEADERS.sourceTimestamp) ?? message.timestamp),
    },
    projection: text(DLQ_HEADERS.projection),
    time: Number.isNaN(time) ? Number(message.timestamp) : time,
    key: message.key,
    value: message.value,
    headers,
    at,
  };
}
