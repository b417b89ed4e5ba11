// The PostgreSQL side of views: bounded pools per connection URL, and which errors are the
// user's (bad credentials, missing database: exit 2) and which are outages (retry, fall behind).
import pg from 'pg';
import { UserError } from '../app/errors.ts';

/** Bad credentials or a missing database: a one-line error at start. */
export class ViewDatabaseError extends UserError {}

const USER_ERRORS: Readonly<Record<string, string>> = {
  '28P01': 'password authentication failed',
  '28000': 'the role may not connect',
  '3D000': 'the database does not exist',
};

/** A PostgreSQL URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export function createPool(url: string, max: number, onError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server (a database restart) must not crash the process.
  pool.on('error', onError);
  return pool;
}

/** Connects once: a user error throws ViewDatabaseError; an outage returns its message. */
export async function probe(pool: pg.Pool, url: string): Promise<string | null> {
  try {
    const client = await pool.connect();
    client.release();
    return null;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const known = USER_ERRORS[code];
    if (known)
      throw new ViewDatabaseError(`PostgreSQL at ${redactUrl(url)}: ${known} (${(err as Error).message})`);
    return (err as Error).message || code;
  }
}

/** Whether an error is a database outage (connection lost, server starting or stopping). */
export function isOutage(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e.code && /^(08|57P)/.test(e.code)) return true;
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(e.code))
    return true;
  return /Connection terminated|timeout|ECONNREFUSED|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}
