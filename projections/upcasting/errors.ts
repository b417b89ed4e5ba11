// An event the upcasters cannot bring to the current version. The runtime dead-letters the record
// (kind `upcast`) instead of letting a projection see a shape it does not expect.
export class UpcastError extends Error {
  override name = 'UpcastError';
  /** The dead-letter kind of this failure. */
  readonly kind = 'upcast';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
