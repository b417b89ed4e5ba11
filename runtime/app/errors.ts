// Errors that are the user's to fix (bad config, unreachable broker, missing topic): the CLI prints
// the message as one line and exits 2, without a stack trace. Holds error types only.
export class UserError extends Error {
  override name = 'UserError';
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
