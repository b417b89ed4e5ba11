// Why a registry-framed value could not be decoded. `kind` is what the dead-letter classifier reads
// (runtime/dlq: not-registry-framed → decode, unknown-schema / schema-mismatch → schema).
export type RegistryDecodeErrorKind =
  /** No magic byte 0 + 4-byte schema id in front: not written by a registry serializer. */
  | 'not-registry-framed'
  /** The registry has no schema with that id. */
  | 'unknown-schema'
  /** The payload does not fit its schema, or the schema is of a format we do not read. */
  | 'schema-mismatch';

export class RegistryDecodeError extends Error {
  override name = 'RegistryDecodeError';
  constructor(
    readonly kind: RegistryDecodeErrorKind,
    message: string,
    readonly schemaId?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The registry could not be asked (down, timing out, refusing): a transient condition, not a bad
 * record. The runtime retries (or stops) instead of dead-lettering; `retriable` says so.
 */
export class RegistryUnavailableError extends Error {
  override name = 'RegistryUnavailableError';
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A value that does not fit the schema it is being encoded with. */
export class RegistryEncodeError extends Error {
  override name = 'RegistryEncodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
