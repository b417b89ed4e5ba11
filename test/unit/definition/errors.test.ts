// Each test is one mistake a user makes, with the exact location and the gist of the message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDefinition } from '../../../projections/definition/index.ts';
import { assertError, errorsOf, HEADER } from './helpers.ts';

// HEADER is 10 lines; projections start on line 11.
const P = (body: string): string => HEADER + body;

describe('located definition errors', () => {
  it('a valid definition parses, with defaults applied', () => {
    const r = parseDefinition(
      P('  balances:\n    from: accounts\n    aggregate: { n: { count: "*" } }\n'),
      'p.yaml',
    );
    assert.equal(r.errors, undefined);
    assert.equal(r.definition?.sources.accounts?.kind, 'stream');
    assert.equal(r.definition?.projections.balances?.version, 1);
  });

  it('YAML syntax error', () => {
    assertError('application: shop\nsources: { a: [1, 2 }\n', 2, 21, 'YAML syntax error');
  });

  it('duplicate YAML keys', () => {
    assertError(
      'application: a\nsources: {}\nsources: {}\n',
      3,
      1,
      'YAML syntax error: Map keys must be unique',
    );
  });

  it('an empty file', () => {
    assert.deepEqual(errorsOf(''), ['p.yaml:1:1: expected a map with application, sources and projections']);
  });

  it('a number where an expression is expected is its text; a list is an error', () => {
    const r = parseDefinition(P('  f:\n    from: orders\n    select: { one: 1 }\n'), 'p.yaml');
    assert.equal(r.errors, undefined);
    assert.deepEqual(r.definition?.projections.f?.select, { one: '1' });
    assertError(P('  f:\n    from: orders\n    select: { one: [1] }\n'), 13, 20, 'expected a string, got');
  });

  it('a scalar where a map is needed', () => {
    assertError(
      'application: a\nsources: accounts\nprojections: {}\n',
      2,
      10,
      'sources: expected a map, got "accounts"',
    );
  });

  it('unknown from, with a suggestion', () => {
    assertError(
      P('  balances:\n    from: acounts\n    aggregate: { n: { count: "*" } }\n'),
      12,
      11,
      'projections.balances.from: unknown source or projection "acounts" (did you mean "accounts"?)',
    );
  });

  it('unknown aggregate function lists the functions', () => {
    assertError(
      P('  balances:\n    from: accounts\n    aggregate:\n      total: { summ: amount }\n'),
      14,
      16,
      'projections.balances.aggregate.total.summ: unknown aggregate function "summ" (did you mean "sum"?)',
      'functions: sum, count, min, max, avg, latest, first, collect_list, collect_set',
    );
  });

  it('unknown key with the allowed keys', () => {
    assertError(
      P('  balances:\n    form: accounts\n'),
      12,
      5,
      'unknown key "form" (did you mean "from"?); allowed: from,',
    );
  });

  it('missing required key is reported at the map', () => {
    assertError(P('  balances:\n    where: "x > 1"\n'), 12, 5, 'projections.balances: "from" is required');
  });

  it('enum value with a suggestion', () => {
    assertError(
      'application: a\nsources:\n  s: { topic: t, kind: tabel }\nprojections:\n  p: { from: s }\n',
      3,
      24,
      'expected one of "stream", "table", got "tabel" (did you mean "table"?)',
    );
  });

  it('invalid name as a map key', () => {
    assertError(P('  1st:\n    from: accounts\n'), 11, 3, 'invalid key "1st": names use letters');
  });

  it('unknown join table', () => {
    assertError(
      P('  e:\n    from: orders\n    join: { table: customer_t }\n'),
      13,
      20,
      'unknown table "customer_t" (did you mean "customers_t"?)',
    );
  });

  it('join whose right side is a stream source', () => {
    assertError(
      P('  e:\n    from: orders\n    join: { table: clicks }\n'),
      13,
      20,
      'a join needs a table on the right, but source "clicks" is a stream',
    );
  });

  it('join whose right side is a stream projection (no aggregate over a stream)', () => {
    assertError(
      P(
        '  big:\n    from: clicks\n    where: "size > 1"\n  e:\n    from: orders\n    join: [{ table: big }]\n',
      ),
      16,
      21,
      'projections.e.join.0.table: a join needs a table on the right, but projection "big" is a stream',
    );
  });

  it('outer foreign-key join', () => {
    assertError(
      P('  e:\n    from: orders\n    join: { table: customers_t, on: customerId, type: outer }\n'),
      13,
      55,
      'a foreign-key join (with on:) is inner or left, not outer',
    );
  });

  it('cycle among projections', () => {
    assertError(
      P(
        '  a:\n    from: b\n    aggregate: { n: { count: "*" } }\n  b:\n    from: a\n    aggregate: { n: { count: "*" } }\n',
      ),
      12,
      11,
      'projections.a.from: cycle: a → b → a',
    );
  });

  it('deleteOn on a table input', () => {
    assertError(
      P(
        '  t:\n    from: customers_t\n    aggregate: { n: { count: "*" } }\n    deleteOn: [CustomerDeleted]\n',
      ),
      14,
      15,
      'deleteOn selects events by type, but source "customers_t" is a table',
    );
  });

  it('per-event-type map on a source without eventType', () => {
    assertError(
      P('  c:\n    from: clicks\n    aggregate:\n      n: { sum: { Clicked: weight } }\n'),
      14,
      19,
      'a per-event-type map needs event types, but source "clicks" has no eventType',
    );
  });

  it('on: on a table input', () => {
    assertError(
      P('  t:\n    from: customers_t\n    aggregate:\n      n: { count: { on: [Created] } }\n'),
      14,
      25,
      '`on:` selects events by type',
    );
  });

  it('having without aggregate', () => {
    assertError(
      P('  f:\n    from: orders\n    having: "amount > 1"\n'),
      13,
      5,
      'having filters aggregated rows and needs an aggregate',
    );
  });

  it('groupBy without aggregate', () => {
    assertError(P('  f:\n    from: orders\n    groupBy: customerId\n'), 13, 5, 'groupBy needs an aggregate');
  });

  it('list groupBy with a complex expression', () => {
    assertError(
      P(
        '  f:\n    from: orders\n    groupBy: [customerId, "status.lowerAscii()"]\n    aggregate: { n: { count: "*" } }\n',
      ),
      13,
      27,
      'projections.f.groupBy.1: a list groupBy names each key part',
      'use the map form',
    );
  });

  it('list groupBy naming a key part twice', () => {
    assertError(
      P('  f:\n    from: clicks\n    groupBy: [user.id, page.id]\n    aggregate: { n: { count: "*" } }\n'),
      13,
      24,
      'groupBy names "id" twice',
      'use the map form',
    );
  });

  it('deleteOn without aggregate', () => {
    assertError(
      P('  f:\n    from: accounts\n    deleteOn: [AccountClosed]\n'),
      13,
      5,
      'deleteOn needs an aggregate',
    );
  });

  it('deleteWhen on a table input', () => {
    assertError(
      P(
        '  t:\n    from: customers_t\n    aggregate: { n: { count: "*" } }\n    deleteWhen: "gone == true"\n',
      ),
      14,
      5,
      'deleteWhen applies to events, but source "customers_t" is a table',
    );
  });

  it('limit on a non-collect aggregate', () => {
    assertError(
      P('  f:\n    from: orders\n    aggregate:\n      n: { count: { on: [OrderPlaced], limit: 5 } }\n'),
      14,
      40,
      'limit applies only to collect_list and collect_set, not to count',
    );
  });

  it('collect limit out of range', () => {
    assertError(
      P('  f:\n    from: orders\n    aggregate:\n      n: { collect_list: { of: status, limit: 0 } }\n'),
      14,
      47,
      'must be greater than 0',
    );
  });

  it('empty sources and projections', () => {
    const yaml = 'application: a\nsources: {}\nprojections: {}\n';
    assertError(yaml, 2, 1, 'sources: define at least one source');
    assertError(yaml, 3, 1, 'projections: define at least one projection');
  });

  it('duplicate output topics', () => {
    assertError(
      P(
        '  a:\n    from: orders\n    output: { topic: out }\n  b:\n    from: orders\n    output: { topic: out }\n',
      ),
      16,
      22,
      'output topic "out" is also the output of projection "a"',
    );
  });

  it('a default output topic colliding with an explicit one', () => {
    assertError(
      P('  a:\n    from: orders\n  b:\n    from: orders\n    output: { topic: shop-a }\n'),
      15,
      22,
      'output topic "shop-a" is also the output of projection "a"',
    );
  });

  it('output topic equal to a source topic', () => {
    assertError(
      P('  a:\n    from: orders\n    output: { topic: account-events }\n'),
      13,
      22,
      'is the topic of source "accounts"',
    );
  });

  it('unknown field in an expression, located inside the scalar', () => {
    assertError(
      P('  f:\n    from: orders\n    where: "paid && amout > 10"\n'),
      13,
      21,
      'projections.f.where: unknown field "amout" (did you mean "amount"?); source orders has: eventType, orderId',
    );
  });

  it('expression that fails to parse, located inside the scalar', () => {
    assertError(
      P('  f:\n    from: clicks\n    where: "x > > 1"\n'),
      13,
      17,
      'invalid expression: Unexpected token',
    );
  });

  it('errors inside multi-line block scalars point at the token', () => {
    assertError(
      P('  f:\n    from: orders\n    where: |\n      paid &&\n      amount > 1 && amout < 9\n'),
      15,
      21,
      'unknown field "amout"',
    );
    assertError(
      P('  f:\n    from: orders\n    where: >-\n      paid &&\n      status == "x" && stats != "y"\n'),
      15,
      24,
      'unknown field "stats"',
    );
  });

  it('where that is not boolean', () => {
    assertError(
      P('  f:\n    from: orders\n    where: amount * 2\n'),
      13,
      12,
      'where needs true or false, but "amount * 2" is a number',
    );
  });

  it('sum of a string field', () => {
    assertError(
      P('  f:\n    from: orders\n    aggregate:\n      s: { sum: status }\n'),
      14,
      17,
      'sum needs a number, but "status" is a string',
    );
  });

  it('arithmetic on a string', () => {
    assertError(
      P('  f:\n    from: orders\n    select: { x: "status - 1" }\n'),
      13,
      19,
      'type error in "status - 1": no such overload: string - int',
    );
  });

  it('select referencing a field the aggregate row does not have', () => {
    assertError(
      P(
        '  f:\n    from: clicks\n    groupBy: { page: url }\n    aggregate: { n: { count: "*" } }\n    select: { n: n, u: url }\n',
      ),
      15,
      24,
      'unknown field "url"; the aggregate row of f has: page, n',
    );
  });

  it('having referencing a misspelt aggregate field', () => {
    assertError(
      P('  f:\n    from: clicks\n    aggregate: { total: { count: "*" } }\n    having: "totl > 1"\n'),
      14,
      14,
      'unknown field "totl" (did you mean "total"?)',
    );
  });

  it('unknown field of a joined row whose fields are known', () => {
    assertError(
      P(
        '  sums:\n    from: orders\n    aggregate: { spent: { sum: amount } }\n  e:\n    from: accounts\n    join: { table: sums }\n    select: { s: sums.spnt }\n',
      ),
      17,
      18,
      'unknown field "spnt" of sums (did you mean "spent"?)',
    );
  });

  it('downstream of an aggregate, group-key components are not row fields (they live in the key)', () => {
    assertError(
      P(
        '  s:\n    from: orders\n    groupBy: { cust: customerId }\n    aggregate: { total: { sum: amount } }\n  t:\n    from: s\n    groupBy: cust\n',
      ),
      17,
      14,
      'unknown field "cust"; projection s has: total',
    );
  });

  it('a joined row without select: left fields plus the right row under its alias', () => {
    const defs =
      '  sums:\n    from: orders\n    aggregate: { spent: { sum: amount } }\n  j:\n    from: orders\n    join: { table: sums, as: s }\n';
    assert.deepEqual(errorsOf(P(`${defs}  k:\n    from: j\n    select: { a: amount, b: s.spent }\n`)), []);
    assertError(
      P(`${defs}  k:\n    from: j\n    select: { b: s.spnt }\n`),
      19,
      18,
      'unknown field "spnt" of s (did you mean "spent"?)',
    );
  });

  it('a name used for both a source and a projection', () => {
    assertError(P('  orders:\n    from: accounts\n'), 11, 3, '"orders" is both a source and a projection');
  });

  it('reports several errors at once, sorted by position', () => {
    const errors = errorsOf(
      P(
        '  a:\n    from: nope\n    aggregate: { s: { summ: x } }\n  b:\n    from: orders\n    where: "amount + 1"\n',
      ),
    );
    assert.equal(errors.length, 3, errors.join('\n'));
    assert.match(errors[0]!, /^p\.yaml:12:11: .*unknown source/);
    assert.match(errors[1]!, /^p\.yaml:13:23: .*unknown aggregate function/);
    assert.match(errors[2]!, /^p\.yaml:16:13: .*where needs true or false/);
  });

  it('accepts null checks on declared fields and on a left-joined row', () => {
    assert.deepEqual(
      errorsOf(
        P(
          '  sums:\n    from: orders\n    aggregate: { spent: { sum: amount } }\n  f:\n    from: orders\n    where: "status != null && amount != null"\n    join: { table: sums, on: customerId, type: left }\n    select: { s: "sums == null ? 0.0 : sums.spent" }\n',
        ),
      ),
      [],
    );
  });

  it('does not flag fields of sources that declare none', () => {
    assert.deepEqual(
      errorsOf(
        P('  f:\n    from: clicks\n    where: "anything.goes > 1"\n    aggregate: { n: { sum: weight } }\n'),
      ),
      [],
    );
  });

  it('types flow through projections: a sum is a number downstream', () => {
    assertError(
      P(
        '  s:\n    from: orders\n    groupBy: customerId\n    aggregate: { total: { sum: amount }, last: { latest: status } }\n  t:\n    from: s\n    aggregate: { x: { sum: last } }\n',
      ),
      17,
      28,
      'sum needs a number, but "last" is a string',
    );
  });
});
