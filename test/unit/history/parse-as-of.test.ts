// The asOf query parameter: ISO-8601 with a zone, real calendar dates only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAsOf } from '../../../runtime/stores/history-read.ts';

describe('parseAsOf', () => {
  it('reads dates and date-times with a zone', () => {
    assert.equal(parseAsOf('2026-01-01'), Date.UTC(2026, 0, 1), 'a date is midnight UTC');
    assert.equal(parseAsOf('2026-01-01T10:00Z'), Date.UTC(2026, 0, 1, 10));
    assert.equal(parseAsOf('2026-01-01T10:00:00.123Z'), Date.UTC(2026, 0, 1, 10, 0, 0, 123));
    assert.equal(parseAsOf('2026-01-01T10:00:00.123456789Z'), Date.UTC(2026, 0, 1, 10, 0, 0, 123));
    assert.equal(parseAsOf('2026-01-01T12:00:00+02:00'), Date.UTC(2026, 0, 1, 10));
    assert.equal(parseAsOf('2026-01-01T05:30:00-0430'), Date.UTC(2026, 0, 1, 10));
    assert.equal(parseAsOf('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  });

  it('refuses anything else', () => {
    for (const bad of [
      '',
      '1767225600000',
      '2026-01-01T10:00:00', // no zone: would depend on the server's zone
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T10:61:00Z',
      'Thu, 01 Jan 2026 00:00:00 GMT',
      '2026-01-01T10:00:00Z ',
      '<script>',
    ])
      assert.equal(parseAsOf(bad), undefined, bad);
  });
});
