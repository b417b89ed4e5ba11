// Window and stream–stream join mistakes, each reported at its place in the file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDefinition } from '../../../projections/definition/index.ts';
import { assertError, errorsOf, HEADER } from './helpers.ts';

// HEADER is 10 lines; projections start on line 11.
const P = (body: string): string => HEADER + body;

describe('window and stream–stream join errors', () => {
  it('a valid tumbling window, session window and stream–stream join parse', () => {
    const errors = errorsOf(
      P(
        [
          '  daily:',
          '    from: orders',
          '    groupBy: customerId',
          '    window: { type: tumbling, size: 1d, grace: 1h, retention: 7d }',
          '    emit: final',
          '    aggregate: { revenue: { sum: amount } }',
          '    select: { revenue: revenue, day: windowStart }',
          '  visits:',
          '    from: clicks',
          '    window: { type: session, gap: 30m }',
          '    aggregate: { n: { count: "*" } }',
          '  matched:',
          '    from: orders',
          '    join: { stream: clicks, type: left, within: { before: 0, after: 15m }, grace: 1m }',
          '',
        ].join('\n'),
      ),
    );
    assert.deepEqual(errors, []);
  });

  it('a parsed table join gains no new keys, so deployed versions keep the same logic', () => {
    const r = parseDefinition(P('  j:\n    from: orders\n    join: { table: customers_t }\n'), 'p.yaml');
    assert.deepEqual(r.definition?.projections.j?.join, { table: 'customers_t', type: 'inner' });
  });

  it('binary windowed keys on a projection without a window, or one another projection reads', () => {
    const unwindowed = errorsOf(
      P(
        '  w:\n    from: clicks\n    aggregate: { n: { count: "*" } }\n    output: { windowedKey: binary }\n',
      ),
    );
    assert.ok(
      unwindowed.some((e) => /^p\.yaml:14:\d+: .*binary windowed keys are for windowed aggregates/.test(e)),
      unwindowed.join('\n'),
    );
    const read = errorsOf(
      P(
        '  w:\n    from: clicks\n    window: { type: tumbling, size: 1m }\n    aggregate: { n: { count: "*" } }\n' +
          '    output: { windowedKey: binary }\n  v:\n    from: w\n    select: { n: n }\n',
      ),
    );
    assert.ok(
      read.some((e) => /^p\.yaml:15:\d+: .*v reads this projection/.test(e)),
      read.join('\n'),
    );
    const ok = errorsOf(
      P(
        '  w:\n    from: clicks\n    window: { type: tumbling, size: 1m }\n    aggregate: { n: { count: "*" } }\n' +
          '    output: { windowedKey: binary }\n',
      ),
    );
    assert.deepEqual(ok, []);
  });

  it('a tumbling window without size', () => {
    assertError(
      P('  w:\n    from: clicks\n    window: { type: tumbling }\n    aggregate: { n: { count: "*" } }\n'),
      13,
      13,
      'a tumbling window needs size',
    );
  });

  it('a session window with a size', () => {
    assertError(
      P(
        '  w:\n    from: clicks\n    window: { type: session, gap: 5m, size: 1h }\n    aggregate: { n: { count: "*" } }\n',
      ),
      13,
      45,
      'a session window has no size',
    );
  });

  it('a hopping window advancing by more than its size', () => {
    assertError(
      P(
        '  w:\n    from: clicks\n    window: { type: hopping, size: 1m, advance: 5m }\n    aggregate: { n: { count: "*" } }\n',
      ),
      13,
      49,
      'advance must not exceed size',
    );
  });

  it('a negative grace', () => {
    assertError(
      P(
        '  w:\n    from: clicks\n    window: { type: tumbling, size: 1m, grace: -5 }\n    aggregate: { n: { count: "*" } }\n',
      ),
      13,
      48,
      'must not be negative',
    );
  });

  it('a retention shorter than size + grace', () => {
    assertError(
      P(
        '  w:\n    from: clicks\n    window: { type: tumbling, size: 1h, grace: 10m, retention: 1h }\n    aggregate: { n: { count: "*" } }\n',
      ),
      13,
      64,
      'retention must be at least size + grace (4200000 ms)',
    );
  });

  it('emit: final without a window', () => {
    assertError(
      P('  w:\n    from: clicks\n    emit: final\n    aggregate: { n: { count: "*" } }\n'),
      13,
      11,
      'emit: final',
      'needs a window',
    );
  });

  it('a window over a table', () => {
    assertError(
      P(
        '  w:\n    from: customers_t\n    window: { type: tumbling, size: 1m }\n    aggregate: { n: { count: "*" } }\n',
      ),
      13,
      5,
      'is a table',
    );
  });

  it('a window without aggregate', () => {
    assertError(
      P('  w:\n    from: clicks\n    window: { type: tumbling, size: 1m }\n'),
      13,
      5,
      'add aggregate',
    );
  });

  it('windowStart outside a windowed projection', () => {
    assertError(
      P('  w:\n    from: clicks\n    aggregate: { n: { count: "*" } }\n    select: { s: windowStart }\n'),
      14,
      18,
      'unknown field "windowStart"',
    );
  });

  it('a stream–stream join without within', () => {
    assertError(P('  j:\n    from: orders\n    join: { stream: clicks }\n'), 13, 11, 'needs within');
  });

  it('a stream–stream join with a table on the right', () => {
    assertError(
      P('  j:\n    from: orders\n    join: { stream: customers_t, within: 1m }\n'),
      13,
      21,
      'needs a stream on the right',
    );
  });

  it('within on a stream–table join', () => {
    assertError(
      P('  j:\n    from: orders\n    join: { table: customers_t, within: 1m }\n'),
      13,
      41,
      'within applies to stream–stream joins',
    );
  });

  it('a join naming both a table and a stream', () => {
    assertError(
      P('  j:\n    from: orders\n    join: { table: customers_t, stream: clicks, within: 1m }\n'),
      13,
      11,
      'either table or stream',
    );
  });
});
