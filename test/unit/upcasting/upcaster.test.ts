// Upcasters: field edits in order, chains across versions, splits, and the errors that dead-letter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Source } from '../../../projections/definition/schema.ts';
import { compileUpcaster, UpcastError } from '../../../projections/upcasting/index.ts';

const ctx = { key: 'a1', timestamp: 5000, topic: 't', partition: 0, offset: 7 };

function upcasterOf(extra: Record<string, unknown>) {
  const u = compileUpcaster(Source.parse({ topic: 't', eventType: 'type', version: 'v', ...extra }));
  assert.ok(u);
  return u;
}

void describe('upcasters', () => {
  void it('a source without upcasters has none (the hot path is untouched)', () => {
    assert.equal(compileUpcaster(Source.parse({ topic: 't', eventType: 'type' })), undefined);
  });

  void it('rename, default, set, remove apply in that order and the version field is rewritten', () => {
    const u = upcasterOf({
      upcast: {
        Deposited: [
          {
            from: 1,
            rename: { amt: 'amount', 'meta.by': 'user' },
            default: { currency: 'EUR' },
            set: { cents: 'int(amount * 100.0)', who: '_key + "/" + string(_version)' },
            remove: ['legacy', 'meta'],
          },
        ],
      },
    });
    const input = { type: 'Deposited', amt: 2.5, legacy: true, meta: { by: 'ann' } };
    const [out, ...rest] = u.upcast(input, ctx);
    assert.equal(rest.length, 0);
    assert.deepEqual(out, {
      type: 'Deposited',
      amount: 2.5,
      user: 'ann',
      currency: 'EUR',
      cents: 250,
      who: 'a1/1',
      v: 2,
    });
    assert.deepEqual(
      input,
      { type: 'Deposited', amt: 2.5, legacy: true, meta: { by: 'ann' } },
      'input untouched',
    );
  });

  void it('a default does not overwrite a value; a missing renamed field is left alone', () => {
    const u = upcasterOf({ upcast: { X: [{ from: 1, rename: { a: 'b' }, default: { c: 1 } }] } });
    assert.deepEqual(u.upcast({ type: 'X', c: 9 }, ctx), [{ type: 'X', c: 9, v: 2 }]);
  });

  void it('steps chain from any old version to the current one; current events pass as they are', () => {
    const u = upcasterOf({
      upcast: {
        X: [
          { from: 1, rename: { n: 'count' } },
          { from: 2, set: { double: 'count * 2' } },
        ],
      },
    });
    const v1 = u.upcast({ type: 'X', n: 3 }, ctx);
    const v2 = u.upcast({ type: 'X', v: 2, count: 3 }, ctx);
    const current = { type: 'X', v: 3, count: 3, double: 6 };
    assert.deepEqual(v1, [current]);
    assert.deepEqual(v2, [current]);
    const same = u.upcast(current, ctx);
    assert.equal(same[0], current, 'no copy for a current event');
    const other = { type: 'Other', whatever: 1 };
    assert.equal(u.upcast(other, ctx)[0], other, 'types without upcasters pass');
  });

  void it('a split yields several events; parts of other types continue in their own chain', () => {
    const u = upcasterOf({
      upcast: {
        Transferred: [
          {
            from: 1,
            split: [
              { type: 'Withdrawn', rename: { from: 'account' }, remove: ['to'] },
              { type: 'Deposited', version: 1, rename: { to: 'account' }, remove: ['from'] },
            ],
          },
        ],
        Deposited: [{ from: 1, rename: { amt: 'amount' } }],
      },
    });
    const out = u.upcast({ type: 'Transferred', from: 'a', to: 'b', amt: 5 }, ctx);
    assert.deepEqual(out, [
      { type: 'Withdrawn', account: 'a', amt: 5, v: 1 },
      { type: 'Deposited', account: 'b', amount: 5, v: 2 },
    ]);
  });

  void it('versions it cannot handle are UpcastErrors (dead-letter kind upcast)', () => {
    const u = upcasterOf({ upcast: { X: [{ from: 2, rename: { a: 'b' } }] } });
    assert.throws(
      () => u.upcast({ type: 'X', v: 4 }, ctx),
      (e: unknown) => {
        assert.ok(e instanceof UpcastError);
        assert.equal(e.kind, 'upcast');
        assert.match(e.message, /X version 4 is newer than the current version 3/);
        return true;
      },
    );
    assert.throws(
      () => u.upcast({ type: 'X' }, ctx),
      /X version 1 has no upcaster \(the first step is from 2\)/,
    );
    assert.throws(() => u.upcast({ type: 'X', v: 'two' }, ctx), /version "two" is not a positive integer/);
    assert.deepEqual(
      u.upcast({ type: 'X', v: '2', a: 1 }, ctx),
      [{ type: 'X', v: 3, b: 1 }],
      'numeric strings count',
    );
  });

  void it('an expression error in set is an UpcastError naming the step', () => {
    const u = upcasterOf({ upcast: { X: [{ from: 1, set: { n: 'int(name)' } }] } });
    assert.throws(
      () => u.upcast({ type: 'X', name: 'abc' }, ctx),
      (e: unknown) => e instanceof UpcastError && /upcasting X from version 1: set n:/.test(e.message),
    );
  });
});
