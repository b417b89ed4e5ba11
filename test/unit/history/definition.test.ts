// The `history` key: durations, located errors, and the stream-projection check.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDefinition } from '../../../projections/definition/index.ts';
import { parseDuration } from '../../../projections/history/index.ts';
import { assertError, errorsOf, HEADER } from '../definition/helpers.ts';

// HEADER is 10 lines; projections start on line 11.
const P = (body: string): string => HEADER + body;
const agg = (history: string) =>
  P(`  balances:\n    from: accounts\n    aggregate: { n: { count: "*" } }\n    history: ${history}\n`);

describe('history in the definition', () => {
  it('parses durations with units and plain milliseconds', () => {
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseDuration('12h'), 12 * 3_600_000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration(' 7 d '), 7 * 86_400_000);
    assert.equal(parseDuration(1234), 1234);
    for (const bad of ['30', 'd', '30 days', '-1d', '1e3ms', ''])
      assert.equal(parseDuration(bad), undefined, bad);
  });

  it('accepts history on a table projection', () => {
    const r = parseDefinition(agg('{ retention: 30d, maxVersions: 100 }'), 'p.yaml');
    assert.equal(r.errors, undefined);
    assert.deepEqual(r.definition?.projections.balances?.history, { retention: '30d', maxVersions: 100 });
    assert.deepEqual(errorsOf(agg('{ retention: 86400000 }')), []);
    assert.deepEqual(
      errorsOf(P('  copy:\n    from: customers_t\n    history: { retention: 1h }\n')),
      [],
      'a projection of a table source is a table',
    );
  });

  it('rejects history on a stream projection, pointing at the key', () => {
    assertError(
      P('  big:\n    from: orders\n    where: amount > 10\n    history: { retention: 1h }\n'),
      14,
      5,
      'projections.big.history',
      'big is a stream',
    );
  });

  it('rejects a zero, negative or unit-less retention, pointing at the value', () => {
    assertError(agg('{ retention: 0 }'), 14, 27, 'more than 0');
    assertError(agg('{ retention: -5 }'), 14, 27, 'more than 0');
    assertError(agg('{ retention: 0d }'), 14, 27, 'more than 0');
    assertError(agg('{ retention: 30 days }'), 14, 27, '30s, 15m, 12h, 30d');
    assertError(agg('{ retention: true }'), 14, 27, 'a duration is milliseconds or a number with a unit');
    assert.equal(errorsOf(agg('{ retention: 30 days }')).length, 1, 'one error per mistake');
  });

  it('rejects a missing retention, a bad maxVersions and unknown keys', () => {
    assertError(agg('{ maxVersions: 3 }'), 14, 14, 'history.retention: a duration is required');
    assertError(agg('{ retention: 1h, maxVersions: 0 }'), 14, 44, 'maxVersions', 'greater than 0');
    assertError(agg('{ retention: 1h, keep: 3 }'), 14, 31, 'unknown key "keep"');
  });
});
