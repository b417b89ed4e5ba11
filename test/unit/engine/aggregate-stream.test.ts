// Stream aggregation through the compiled topology: add-only, handlers per event type, deletes,
// having, null handling and group keys.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changes, rec, run, table } from './helpers.ts';

const accounts = { accounts: { topic: 'acc', key: 'accountId', eventType: 'eventType' } };
const ev = (eventType: string, accountId: string, extra: Record<string, unknown> = {}) =>
  rec('acc', accountId, { eventType, accountId, ...extra });

void describe('stream aggregate', () => {
  const balances = {
    sources: accounts,
    projections: {
      balances: {
        from: 'accounts',
        aggregate: {
          balance: { sum: { MoneyDeposited: 'amount', MoneyWithdrawn: '-amount' } },
          deposits: { count: { on: ['MoneyDeposited'] } },
          big: { count: { of: 'amount', where: 'amount >= 100' } },
          owner: { latest: { of: 'owner', on: ['AccountCreated'] } },
        },
        deleteOn: ['AccountClosed'],
      },
    },
  };

  void it('applies per-event-type handlers, on: filters and per-aggregate where', () => {
    const ex = run(balances, [
      ev('AccountCreated', 'a1', { owner: 'ann' }),
      ev('MoneyDeposited', 'a1', { amount: 100 }),
      ev('MoneyWithdrawn', 'a1', { amount: 30 }),
      ev('MoneyDeposited', 'a1', { amount: 5 }),
    ]);
    assert.deepEqual(changes(ex, 'balances').at(-1), [
      'a1',
      { balance: 75, deposits: 2, big: 1, owner: 'ann' },
    ]);
    // every event emits (no caching), even one that changes nothing
    assert.equal(ex.outputsOf('balances').length, 4);
  });

  void it('deleteOn tombstones the group and resets its state', () => {
    const ex = run(balances, [
      ev('MoneyDeposited', 'a1', { amount: 10 }),
      ev('AccountClosed', 'a1'),
      ev('AccountClosed', 'a2'), // never existed: nothing to delete
      ev('MoneyDeposited', 'a1', { amount: 1 }),
    ]);
    assert.deepEqual(changes(ex, 'balances'), [
      ['a1', { balance: 10, deposits: 1, big: 0, owner: null }],
      ['a1', null],
      ['a1', { balance: 1, deposits: 1, big: 0, owner: null }],
    ]);
  });

  void it('deleteWhen deletes on a condition', () => {
    const ex = run(
      {
        sources: accounts,
        projections: {
          t: {
            from: 'accounts',
            aggregate: { n: { count: '*' } },
            deleteWhen: 'eventType == "Gone" && _key == "a1"',
          },
        },
      },
      [ev('X', 'a1'), ev('Gone', 'a2'), ev('Gone', 'a1')],
    );
    assert.deepEqual(changes(ex, 't'), [
      ['a1', { n: 1 }],
      ['a2', { n: 1 }],
      ['a1', null],
    ]);
  });

  void it('skips null-valued records and drops null group keys', () => {
    const ex = run(
      {
        sources: { s: { topic: 's' } },
        projections: { t: { from: 's', groupBy: 'name', aggregate: { n: { count: '*' } } } },
      },
      [
        rec('s', null, null),
        rec('s', null, { name: null }),
        rec('s', null, { other: 1 }),
        rec('s', null, { name: 'n' }),
      ],
    );
    assert.deepEqual(changes(ex, 't'), [['n', { n: 1 }]]);
  });

  void it('list groupBy builds a composite key named by the last path segment; map groupBy renames', () => {
    const ex = run(
      {
        sources: { s: { topic: 's' } },
        projections: {
          byList: { from: 's', groupBy: ['region', 'data.kind'], aggregate: { n: { count: '*' } } },
          byMap: {
            from: 's',
            groupBy: { r: 'region', big: 'data.size > 3' },
            aggregate: { n: { count: '*' } },
            select: { n: 'n', region: 'r', k: '_key' },
          },
        },
      },
      [
        rec('s', 1, { region: 'eu', data: { kind: 'x', size: 5 } }),
        rec('s', 2, { region: 'eu', data: { size: 1 } }),
      ],
    );
    assert.deepEqual(changes(ex, 'byList'), [[{ region: 'eu', kind: 'x' }, { n: 1 }]]);
    assert.deepEqual(changes(ex, 'byMap'), [
      [
        { r: 'eu', big: true },
        { n: 1, region: 'eu', k: { r: 'eu', big: true } },
      ],
      [
        { r: 'eu', big: false },
        { n: 1, region: 'eu', k: { r: 'eu', big: false } },
      ],
    ]);
  });

  void it('having tombstones only rows that were emitted, and brings them back', () => {
    const ex = run(
      {
        sources: { s: { topic: 's' } },
        projections: {
          t: { from: 's', groupBy: 'g', aggregate: { total: { sum: 'v' } }, having: 'total > 10' },
        },
      },
      [
        rec('s', 1, { g: 'a', v: 5 }),
        rec('s', 1, { g: 'a', v: 6 }),
        rec('s', 1, { g: 'a', v: -2 }),
        rec('s', 1, { g: 'a', v: -1 }),
        rec('s', 1, { g: 'a', v: 9 }),
      ],
    );
    assert.deepEqual(changes(ex, 't'), [
      ['a', { total: 11 }],
      ['a', null],
      ['a', { total: 17 }],
    ]);
  });

  void it('where filters events before the aggregate', () => {
    const ex = run(
      {
        sources: { s: { topic: 's' } },
        projections: {
          t: { from: 's', where: 'v > 0', aggregate: { total: { sum: 'v' }, n: { count: '*' } } },
        },
      },
      [rec('s', 'k', { v: 3 }), rec('s', 'k', { v: -1 }), rec('s', 'k', { v: 2 })],
    );
    assert.deepEqual(table(ex, 't'), { k: { total: 5, n: 2 } });
    assert.equal(ex.outputsOf('t').length, 2);
  });

  void it('specials are visible to expressions', () => {
    const ex = run(
      {
        sources: { s: { topic: 's', eventType: 'type', time: 'at' } },
        projections: {
          t: {
            from: 's',
            aggregate: {
              keys: { collect_list: '_key' },
              types: { collect_set: '_type' },
              last: { latest: '_timestamp' },
              offsets: { collect_list: '_offset' },
            },
          },
        },
      },
      [
        rec('s', 'k', { type: 'A', at: 50 }, 1),
        rec('s', 'k', { type: 'A', at: '1970-01-01T00:00:00.100Z' }, 2),
      ],
    );
    assert.deepEqual(table(ex, 't'), { k: { keys: ['k', 'k'], types: ['A'], last: 100, offsets: [0, 1] } });
    assert.deepEqual(
      ex.outputsOf('t').map((o) => o.timestamp),
      [50, 100],
      'the event time becomes the output timestamp',
    );
  });

  void it('stamps a group with the newest event time that contributed, as Kafka Streams does', () => {
    const def = {
      sources: { s: { topic: 's' } },
      projections: { t: { from: 's', groupBy: 'g', aggregate: { n: { sum: 'n' } } } },
    };
    const ex = run(def, [
      rec('s', 'e1', { g: 'a', n: 1 }, 100),
      rec('s', 'e2', { g: 'a', n: 1 }, 50), // late: the result does not move back in time
      rec('s', 'e3', { g: 'b', n: 1 }, 60), // a new group starts from its own event time
      rec('s', 'e4', { g: 'a', n: 1 }, 150),
    ]);
    assert.deepEqual(
      ex.outputsOf('t').map((o) => [o.key, o.timestamp]),
      [
        ['a', 100],
        ['a', 100],
        ['b', 60],
        ['a', 150],
      ],
    );
  });
});
