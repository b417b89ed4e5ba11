// Opaque pagination cursors: base64url of JSON {v, k, q}: the last encoded key returned and the
// range it belongs to. The next page continues strictly after k in every partition, so rows
// are neither missed nor repeated, whichever instance answers the next page.
import { errors } from './errors.ts';

export interface CursorRange {
  prefix?: string;
  from?: string;
  to?: string;
}

interface CursorBody {
  v: 1;
  k: string;
  q: [string | null, string | null, string | null];
}

const rangeTuple = (r: CursorRange): CursorBody['q'] => [r.prefix ?? null, r.from ?? null, r.to ?? null];

export function encodeCursor(lastKey: string, range: CursorRange): string {
  const body: CursorBody = { v: 1, k: lastKey, q: rangeTuple(range) };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The last key of the previous page; 400 when the cursor is malformed or from another range. */
export function decodeCursor(cursor: string, range: CursorRange): string {
  const bad = () => errors.badRequest('invalid cursor: pass the `next` value of the previous page unchanged');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const b = body as Partial<CursorBody>;
  if (b === null || typeof b !== 'object' || b.v !== 1 || typeof b.k !== 'string' || !Array.isArray(b.q))
    throw bad();
  const expected = rangeTuple(range);
  if (b.q.length !== 3 || b.q.some((x, i) => x !== expected[i]))
    throw errors.badRequest('invalid cursor: it belongs to a scan with other prefix/from/to parameters');
  return b.k;
}
