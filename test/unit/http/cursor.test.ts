// Pagination cursors: any key round-trips as URL-safe base64, and a cursor of another range or a malformed
// one is a 400, never a page that silently skips or repeats rows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor } from '../../../runtime/http/cursor.ts';
import { HttpError } from '../../../runtime/http/errors.ts';

const badRequest = (fn: () => unknown) =>
  assert.throws(fn, (e: unknown) => e instanceof HttpError && e.statusCode === 400);

describe('pagination cursors', () => {
  it('round-trip any key, composite or unicode, as base64url', () => {
    for (const key of ['a1', '{"c":"x","d":2}', 'ключ/..%2f', '']) {
      const c = encodeCursor(key, { prefix: 'k' });
      assert.match(c, /^[A-Za-z0-9_-]+$/);
      assert.equal(decodeCursor(c, { prefix: 'k' }), key);
    }
  });

  it('refuse a cursor from a scan over another range', () => {
    const c = encodeCursor('a', { prefix: 'a' });
    badRequest(() => decodeCursor(c, { prefix: 'b' }));
    badRequest(() => decodeCursor(c, {}));
  });

  it('refuse malformed cursors with a 400', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    for (const c of [
      '',
      '***',
      'abc',
      b64('null'),
      b64('{"v":2,"k":"a","q":[null,null,null]}'),
      b64('{"v":1,"k":3,"q":[null,null,null]}'),
      b64('{"v":1,"k":"a","q":[null]}'),
      b64('[1]'),
    ])
      badRequest(() => decodeCursor(c, {}));
  });
});
