// The exposition reader the tests scrape with: it reads what Prometheus reads and rejects the rest.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseExposition, sampleValue } from '../../../runtime/metrics/index.ts';

void describe('parseExposition', () => {
  void test('reads help, types, labels with escapes, special values and timestamps', () => {
    const text = [
      '# HELP x_total Things, counted',
      '# TYPE x_total counter',
      'x_total{a="1",b="q\\"uo\\\\te\\n,}"} 3 1700000000000',
      'x_total{a="2"} 1.5e3',
      '# a free comment',
      'y +Inf',
      'z{le="-Inf"} -Inf',
      'w NaN',
      'v Nan',
      '',
    ].join('\n');
    const e = parseExposition(text);
    assert.equal(e.types.get('x_total'), 'counter');
    assert.equal(e.help.get('x_total'), 'Things, counted');
    assert.equal(sampleValue(e, 'x_total', { b: 'q"uo\\te\n,}' }), 3);
    assert.equal(sampleValue(e, 'x_total', { a: '2' }), 1500);
    assert.equal(sampleValue(e, 'y'), Number.POSITIVE_INFINITY);
    assert.equal(sampleValue(e, 'z'), Number.NEGATIVE_INFINITY);
    assert.ok(Number.isNaN(sampleValue(e, 'w')));
    assert.ok(Number.isNaN(sampleValue(e, 'v')), 'prom-client writes Nan; Go parses any case');
  });

  void test('rejects what Prometheus would reject', () => {
    for (const bad of [
      'x_total{a=1} 3',
      'x_total{a="1"',
      'x_total{1a="x"} 3',
      'x_total{a="1",a="2"} 3',
      'x-total 3',
      'x_total',
      'x_total abc',
      'x_total{a="\\t"} 1',
      '# TYPE x_total countr',
      '# TYPE x gauge\n# TYPE x gauge',
    ]) {
      assert.throws(() => parseExposition(bad), Error, bad);
    }
  });

  void test('sampleValue insists on exactly one match', () => {
    const e = parseExposition('a{k="1"} 1\na{k="2"} 2\n');
    assert.throws(() => sampleValue(e, 'a'), /2 samples/);
    assert.throws(() => sampleValue(e, 'b'), /0 samples/);
  });
});
