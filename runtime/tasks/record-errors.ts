// Which errors make a record a dead letter (the record is skipped, processing goes on) and which
// are bugs or I/O failures (they stop the application). Matched by name, not instanceof, so the
// errors of the decoders, the registry codec and the engine classify without importing each other.
// Classifies only: must not log, count or send.

/** Errors of decoding and of the runtime's checks on a decoded record → the poison kind. */
export function decodeErrorKind(err: unknown): string | undefined {
  const e = err as { name?: unknown; kind?: unknown } | null;
  if (e === null || typeof e !== 'object' || typeof e.kind !== 'string') return undefined;
  return e.name === 'DecodeFailure' || e.name === 'RegistryDecodeError' || e.name === 'RecordRejected'
    ? e.kind
    : undefined;
}

/** Errors of one sub-topology on one record → the poison kind. */
export function processErrorKind(err: unknown): string | undefined {
  const name = (err as { name?: unknown } | null)?.name;
  switch (name) {
    case 'ExpressionError':
      return 'expression';
    case 'UpcastError':
      return 'upcast';
    case 'MissingKeyError':
      return 'missing-key';
  }
  return undefined;
}
