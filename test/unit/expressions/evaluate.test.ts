// Evaluating expressions over rows: JSON doubles mixed with int literals, string and list functions,
// SQL-like nulls for missing fields, no prototype access ever, and failures as ExpressionError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileExpression, ExpressionError } from '../../../projections/expressions/index.ts';

const ev = (src: string, vars: Record<string, unknown> = {}): unknown =>
  compileExpression(src).evaluate(vars);

describe('expressions: evaluation', () => {
  it('field paths, including nested and missing ones', () => {
    assert.equal(ev('amount', { amount: 5 }), 5);
    assert.equal(ev('customer.tier', { customer: { tier: 'gold' } }), 'gold');
    assert.equal(ev('customer.tier', { customer: {} }), null);
    assert.equal(ev('customer.tier', {}), null);
    assert.deepEqual(ev('a.b.c', { a: { b: { c: [1] } } }), [1]);
  });

  it('arithmetic mixes JSON doubles and int literals', () => {
    assert.equal(ev('amount * 2', { amount: 1.5 }), 3);
    assert.equal(ev('2 * amount + 1', { amount: 1.5 }), 4);
    assert.equal(ev('1 + 2 * amount', { amount: 1.5 }), 4, 'int-op-double stays a double downstream');
    assert.equal(ev('-amount', { amount: 4 }), -4);
    assert.equal(ev('a / b', { a: 7, b: 2 }), 3.5);
    assert.equal(ev('int(a) / int(b)', { a: 7, b: 2 }), 3, 'int division is explicit');
    assert.equal(ev('a % 4', { a: 10 }), 2);
    assert.equal(typeof ev('1 + 2'), 'number', 'CEL ints come back as JS numbers');
  });

  it('comparisons and boolean logic', () => {
    assert.equal(ev('amount > 100 && status == "PAID"', { amount: 150.5, status: 'PAID' }), true);
    assert.equal(ev('amount > 100 || status == "PAID"', { amount: 1, status: 'NEW' }), false);
    assert.equal(ev('!(a >= 1)', { a: 1 }), false);
    assert.equal(ev('status in ["A", "B"]', { status: 'B' }), true);
    assert.equal(ev('amount != 3', { amount: 3 }), false);
  });

  it('conditionals', () => {
    assert.equal(ev('a > 1 ? "big" : "small"', { a: 3 }), 'big');
    assert.equal(ev('a > 1 ? "big" : "small"', { a: 0 }), 'small');
  });

  it('string functions', () => {
    assert.equal(ev('size(name)', { name: 'anna' }), 4);
    assert.equal(ev('name.size()', { name: 'anna' }), 4);
    assert.equal(ev('name.startsWith("an")', { name: 'anna' }), true);
    assert.equal(ev('name.endsWith("na")', { name: 'anna' }), true);
    assert.equal(ev('name.contains("nn")', { name: 'anna' }), true);
    assert.equal(ev('name.lowerAscii()', { name: 'AnNa' }), 'anna');
    assert.equal(ev('name.upperAscii()', { name: 'anna' }), 'ANNA');
    assert.equal(ev('name.matches("^a.*a$")', { name: 'anna' }), true);
    assert.equal(ev('first + " " + last', { first: 'A', last: 'B' }), 'A B');
  });

  it('list functions: map + sum, exists, all, filter, size, min, max', () => {
    const items = [
      { price: 2.5, qty: 2 },
      { price: 1, qty: 3 },
    ];
    assert.equal(ev('items.map(i, i.price * i.qty).sum()', { items }), 8);
    assert.equal(ev('items.map(i, i.price).sum()', { items }), 3.5);
    assert.equal(ev('items.exists(i, i.qty > 2)', { items }), true);
    assert.equal(ev('items.all(i, i.qty > 2)', { items }), false);
    assert.equal(ev('items.filter(i, i.price > 2).size()', { items }), 1);
    assert.equal(ev('size(items)', { items }), 2);
    assert.equal(ev('items.map(i, i.price).max()', { items }), 2.5);
    assert.equal(ev('items.map(i, i.qty).min()', { items }), 2);
    assert.equal(ev('[1, 2, 3].sum()'), 6);
    assert.equal(ev('[].sum()'), 0);
    assert.deepEqual(ev('items.map(i, i.qty * 2)', { items }), [4, 6]);
  });

  it('has() tests presence, also of a missing parent', () => {
    assert.equal(ev('has(c.tier)', { c: { tier: 'x' } }), true);
    assert.equal(ev('has(c.tier)', { c: {} }), false);
    assert.equal(ev('has(c.tier)', {}), false);
  });

  it('null propagation: missing fields and null operands give null (SQL-like)', () => {
    assert.equal(ev('amount > 0', {}), null);
    assert.equal(ev('amount > 0', { amount: null }), null);
    assert.equal(ev('amount * 2', { amount: null }), null);
    assert.equal(ev('a.b + 1', { a: {} }), null);
    assert.equal(ev('missing == null', {}), true, 'a missing variable is null, so == null holds');
    assert.equal(ev('x == null ? "none" : x', { x: 'v' }), 'v');
    assert.equal(ev('x != null', { x: 'v' }), true);
    assert.equal(ev('x == null', { x: 2.5 }), false);
    assert.equal(ev('m != null && l == null', { m: { a: 1 }, l: null }), true);
  });

  it('safety: no prototype access, never a function', () => {
    for (const src of [
      '_value.constructor',
      '_value.__proto__',
      '_value["constructor"]',
      'constructor',
      'toString',
      'a.constructor.name',
    ]) {
      let result: unknown;
      try {
        result = ev(src, { _value: { a: 1 }, a: {} });
      } catch (err) {
        assert.ok(err instanceof ExpressionError, `${src}: ${String(err)}`);
        continue;
      }
      assert.notEqual(typeof result, 'function', src);
      assert.equal(result, null, src);
    }
  });

  it('evaluation errors throw ExpressionError with the source', () => {
    assert.throws(
      () => ev('1 / 0'),
      (e: unknown) => e instanceof ExpressionError && e.source === '1 / 0',
    );
    assert.throws(() => ev('s + 1', { s: 'x' }), ExpressionError);
  });

  it('syntax errors throw ExpressionError at compile time', () => {
    assert.throws(() => compileExpression('a + + b'), ExpressionError);
    assert.throws(() => compileExpression('a +'), /Unexpected token/);
  });

  it('parses once: one compiled expression evaluates many rows', () => {
    const e = compileExpression('amount * qty');
    assert.deepEqual(
      [1, 2, 3].map((qty) => e.evaluate({ amount: 2, qty })),
      [2, 4, 6],
    );
    assert.equal(e.source, 'amount * qty');
  });

  it('day() gives the UTC calendar day of epoch milliseconds; null stays null', () => {
    assert.equal(ev('day(t)', { t: 1764806399999 }), '2025-12-03');
    assert.equal(ev('day(t)', { t: 1764806400000 }), '2025-12-04');
    assert.equal(ev('day(1764806400000)'), '2025-12-04');
    assert.equal(ev('day(t)', {}), null);
    assert.throws(() => ev('day(t)', { t: 'today' }), ExpressionError);
  });
});
