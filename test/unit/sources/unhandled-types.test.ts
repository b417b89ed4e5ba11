// Events of a type no projection acts on: valid (no dead letter), counted per source and type.
// Which types are handled is read from the definition, conservatively: a projection that may act
// on any type (a where, a type-less aggregate, a join) makes every type handled.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handledEventTypes } from '../../../projections/definition/handled-types.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { sourceDecoder } from '../../../runtime/formats/source-decoder.ts';

const definition = (projections: Record<string, unknown>) =>
  parseConfig(
    JSON.stringify({
      application: 'shop',
      sources: {
        accounts: { topic: 'accounts', key: 'accountId', eventType: 'eventType' },
        untyped: { topic: 'untyped', key: 'accountId' },
      },
      projections,
    }),
    'unit.yaml',
    {},
  );

const balances = {
  from: 'accounts',
  aggregate: {
    balance: { sum: { MoneyDeposited: 'amount', MoneyWithdrawn: '-amount' } },
    deposits: { count: { on: ['MoneyDeposited'] } },
    owner: { latest: { of: 'owner', on: ['AccountCreated'] } },
  },
  deleteOn: ['AccountClosed'],
};

describe('handled event types', () => {
  it('are the types the aggregates and deleteOn name', () => {
    const types = handledEventTypes(definition({ balances }), 'accounts');
    assert.deepEqual([...types!].sort(), [
      'AccountClosed',
      'AccountCreated',
      'MoneyDeposited',
      'MoneyWithdrawn',
    ]);
  });

  it('are any type when some projection may act on any', () => {
    for (const other of [
      { from: 'accounts', aggregate: { n: { count: '*' } } },
      { from: 'accounts', where: "eventType != 'X'", aggregate: { n: { count: { on: ['X'] } } } },
      { from: 'accounts', aggregate: { s: { sum: { of: 'amount', where: 'amount > 0' } } } },
      { from: 'accounts', aggregate: { last: { latest: 'owner' } } },
    ])
      assert.equal(handledEventTypes(definition({ balances, other }), 'accounts'), undefined);
    assert.equal(handledEventTypes(definition({ balances }), 'untyped'), undefined, 'no eventType');
  });

  it('are counted in the source decoder when unhandled, and never dead-lettered', () => {
    const decoder = sourceDecoder(definition({ balances }), 'accounts');
    const decode = (value: Record<string, unknown>) =>
      decoder.decode({
        topic: 'accounts',
        partition: 0,
        offset: 1,
        key: Buffer.from(String(value.accountId)),
        value: Buffer.from(JSON.stringify(value)),
        timestamp: 1,
      });
    decode({ eventType: 'MoneyDeposited', accountId: 'a1', amount: 1 });
    decode({ eventType: 'AccountNoticed', accountId: 'a1' });
    decode({ eventType: 'AccountNoticed', accountId: 'a2' });
    decode({ eventType: 'AccountFrozen', accountId: 'a2' });
    assert.deepEqual(
      [...decoder.entity.unhandled],
      [
        ['AccountNoticed', 2],
        ['AccountFrozen', 1],
      ],
    );
  });
});
