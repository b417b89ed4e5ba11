// Why a record became a dead letter. The kinds are part of the DLQ contract (the `kind` header,
// `dlq replay --kind`), so they are few and stable:
//   decode       the bytes are not what the format says (not JSON, no registry framing)
//   schema       the registry cannot give the record's schema, or the record does not fit it
//   missing-key  a record needs a key and has none (no message key, or the event lacks `key:`)
//   missing-type an event of a source that declares `eventType:` has none
//   misrouted    a source record is not on the partition its entity key belongs to
//   key-mismatch a source with `partitioning: messageKey`: the message key and `key:` disagree
//   expression   an expression failed on the record
//   upcast       the upcasters cannot bring the event to its current version
//   late         a window or windowed join dropped the record: it came after window end + grace
//                (only with the projection's `late: deadLetter`)
//   process      anything else that failed while processing the record
export const DEAD_LETTER_KINDS = [
  'decode',
  'schema',
  'missing-key',
  'missing-type',
  'misrouted',
  'key-mismatch',
  'expression',
  'upcast',
  'late',
  'process',
] as const;
export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

export const isDeadLetterKind = (k: unknown): k is DeadLetterKind =>
  typeof k === 'string' && (DEAD_LETTER_KINDS as readonly string[]).includes(k);

/** The poison kinds the runtime's decoders report (runtime/formats) mapped to dead-letter kinds. */
const POISON_KINDS: Record<string, DeadLetterKind> = {
  'key-not-json': 'decode',
  'value-not-json': 'decode',
  'not-registry-framed': 'decode',
  'unknown-schema': 'schema',
  'schema-mismatch': 'schema',
  'missing-key': 'missing-key',
  expression: 'expression',
  upcast: 'upcast',
};

export function kindOfPoison(kind: string): DeadLetterKind {
  return isDeadLetterKind(kind) ? kind : (POISON_KINDS[kind] ?? 'process');
}

/**
 * Classifies an error by its name or its `kind` field, not by instanceof, so errors from any module
 * (decoders, the registry codec, the engine) classify without this module importing them all.
 */
export function classifyError(err: unknown): DeadLetterKind {
  if (err === null || typeof err !== 'object') return 'process';
  const e = err as { name?: unknown; kind?: unknown };
  switch (e.name) {
    case 'DecodeFailure':
      return 'decode';
    case 'RegistryDecodeError':
      return typeof e.kind === 'string' ? kindOfPoison(e.kind) : 'schema';
    case 'ExpressionError':
      return 'expression';
    case 'UpcastError':
      return 'upcast';
    case 'MissingKeyError':
      return 'missing-key';
  }
  return typeof e.kind === 'string' ? kindOfPoison(e.kind) : 'process';
}
