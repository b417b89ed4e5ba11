// Static analysis of expressions: the identifiers and field paths one reads (macro variables excluded),
// which validation checks against the row's fields, and type checking against declared field types, with
// errors at their offset so that messages point at the mistake.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, CEL_TYPE_OF_FIELD, checkExpression } from '../../../projections/expressions/index.ts';

const paths = (src: string): string[] => analyze(src).references.map((r) => r.path.join('.'));

describe('expressions: analysis', () => {
  it('collects top-level identifiers and field paths with offsets', () => {
    const a = analyze('amount > 1 && customer.tier == "gold"');
    assert.deepEqual([...a.identifiers], ['amount', 'customer']);
    assert.deepEqual(paths('amount > 1 && customer.tier == "gold"'), ['amount', 'customer.tier']);
    const tier = a.references[1]!;
    assert.equal('amount > 1 && customer.tier == "gold"'.slice(tier.start, tier.end), 'customer.tier');
  });

  it('excludes macro variables and keeps what macros read', () => {
    assert.deepEqual(paths('items.map(i, i.price * rate).sum()'), ['items', 'rate']);
    assert.deepEqual(paths('items.exists(it, it.sku == sku)'), ['items', 'sku']);
    assert.deepEqual(paths('cel.bind(t, a.b, t + c)'), ['a.b', 'c']);
  });

  it('reads constant index keys as path segments, computed ones as reads', () => {
    assert.deepEqual(paths('a["b"].c'), ['a.b.c']);
    assert.deepEqual(paths('xs[k].v'), ['xs', 'k']);
  });

  it('covers conditionals, has(), unary operators and literals', () => {
    assert.deepEqual(paths('has(c.tier) ? -x : [y, {"k": z}]'), ['c.tier', 'x', 'y', 'z']);
  });

  it('throws on syntax errors, with the offset', () => {
    assert.throws(
      () => analyze('a + + b'),
      (e: { range?: { start: number } }) => e.range?.start === 4,
    );
  });
});

describe('expressions: type checking with declared fields', () => {
  const vars = { amount: 'double', qty: 'int', status: 'string', paid: 'bool', items: 'list', meta: 'map' };

  it('maps YAML field types to CEL types', () => {
    assert.deepEqual(CEL_TYPE_OF_FIELD, {
      number: 'double',
      int: 'int',
      string: 'string',
      boolean: 'bool',
      object: 'map',
      list: 'list',
      any: 'dyn',
    });
  });

  it('infers result types', () => {
    assert.deepEqual(checkExpression('amount * 2', vars), { valid: true, type: 'double' });
    assert.deepEqual(checkExpression('amount * qty', vars), { valid: true, type: 'double' });
    assert.deepEqual(checkExpression('int(amount) / qty', vars), { valid: true, type: 'int' });
    assert.deepEqual(checkExpression('paid && amount > 0', vars), { valid: true, type: 'bool' });
    assert.deepEqual(checkExpression('status.lowerAscii()', vars), { valid: true, type: 'string' });
    assert.deepEqual(checkExpression('meta.x', vars), { valid: true, type: 'dyn' });
    assert.equal(checkExpression('unknownIsDyn + 1', vars).valid, true);
  });

  it('every declared field may be compared with null', () => {
    for (const f of Object.keys(vars)) {
      assert.deepEqual(checkExpression(`${f} != null`, vars), { valid: true, type: 'bool' }, f);
      assert.deepEqual(checkExpression(`null == ${f}`, vars), { valid: true, type: 'bool' }, f);
    }
  });

  it('reports type errors with their offset', () => {
    const r = checkExpression('paid && status - 1 > 0', vars);
    assert.equal(r.valid, false);
    if (!r.valid) {
      assert.match(r.message, /no such overload: string - int/);
      assert.equal(r.start, 8);
    }
    const logic = checkExpression('amount > 0 && status', vars);
    assert.equal(logic.valid, false);
  });

  it('reports syntax errors the same way', () => {
    const r = checkExpression('amount >', vars);
    assert.equal(r.valid, false);
    if (!r.valid) assert.equal(r.start, 8);
  });
});
