// Table aggregation with retraction: updates move contributions between groups, deletes retract,
// and order-sensitive aggregates (MIN/MAX/LATEST) work over tables.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changes, rec, run, table } from './helpers.ts';

const users = { users: { topic: 'u', kind: 'table' as const } };

void describe('table aggregate', () => {
  const byRegion = {
    sources: users,
    projections: {
      regions: {
        from: 'users',
        groupBy: 'region',
        aggregate: {
          n: { count: '*' },
          total: { sum: 'score' },
          low: { min: 'score' },
          high: { max: 'score' },
          newest: { latest: 'name' },
        },
      },
    },
  };

  void it('a row moving groups retracts from the old group before adding to the new', () => {
    const ex = run(byRegion, [
      rec('u', 1, { region: 'eu', score: 5, name: 'ann' }),
      rec('u', 2, { region: 'eu', score: 9, name: 'bob' }),
      rec('u', 2, { region: 'us', score: 9, name: 'bob' }),
    ]);
    assert.deepEqual(changes(ex, 'regions'), [
      ['eu', { n: 1, total: 5, low: 5, high: 5, newest: 'ann' }],
      ['eu', { n: 2, total: 14, low: 5, high: 9, newest: 'bob' }],
      ['eu', { n: 1, total: 5, low: 5, high: 5, newest: 'ann' }],
      ['us', { n: 1, total: 9, low: 9, high: 9, newest: 'bob' }],
    ]);
  });

  void it('an update within the group emits once, with the net result', () => {
    const ex = run(byRegion, [
      rec('u', 1, { region: 'eu', score: 5, name: 'a' }),
      rec('u', 1, { region: 'eu', score: 7, name: 'b' }),
    ]);
    assert.deepEqual(changes(ex, 'regions'), [
      ['eu', { n: 1, total: 5, low: 5, high: 5, newest: 'a' }],
      ['eu', { n: 1, total: 7, low: 7, high: 7, newest: 'b' }],
    ]);
  });

  void it('deletes retract; emptied groups stay with count 0 and null extremes', () => {
    const ex = run(byRegion, [
      rec('u', 1, { region: 'eu', score: 5, name: 'a' }),
      rec('u', 2, { region: 'eu', score: 1, name: 'b' }),
      rec('u', 2, null),
      rec('u', 1, null),
      rec('u', 3, null), // unknown row: nothing to retract, nothing emitted
    ]);
    assert.deepEqual(changes(ex, 'regions').slice(2), [
      ['eu', { n: 1, total: 5, low: 5, high: 5, newest: 'a' }],
      ['eu', { n: 0, total: 0, low: null, high: null, newest: null }],
    ]);
  });

  void it('a row whose group key is null never contributes', () => {
    const ex = run(byRegion, [
      rec('u', 1, { region: null, score: 5 }),
      rec('u', 1, { region: 'eu', score: 5 }),
      rec('u', 1, { score: 1 }),
    ]);
    assert.deepEqual(changes(ex, 'regions'), [
      ['eu', { n: 1, total: 5, low: 5, high: 5, newest: null }],
      ['eu', { n: 0, total: 0, low: null, high: null, newest: null }],
    ]);
  });

  void it('having removes emptied groups with a tombstone', () => {
    const ex = run(
      {
        sources: users,
        projections: {
          r: { from: 'users', groupBy: 'region', aggregate: { n: { count: '*' } }, having: 'n > 0' },
        },
      },
      [rec('u', 1, { region: 'eu' }), rec('u', 1, { region: 'us' }), rec('u', 1, null)],
    );
    assert.deepEqual(changes(ex, 'r'), [
      ['eu', { n: 1 }],
      ['eu', null],
      ['us', { n: 1 }],
      ['us', null],
    ]);
  });

  void it('where on a table acts as a filter with retraction', () => {
    const ex = run(
      {
        sources: users,
        projections: {
          active: { from: 'users', where: 'active', groupBy: '"all"', aggregate: { n: { count: '*' } } },
        },
      },
      [
        rec('u', 1, { active: true }),
        rec('u', 2, { active: false }),
        rec('u', 1, { active: false }),
        rec('u', 2, { active: true }),
      ],
    );
    assert.deepEqual(changes(ex, 'active'), [
      ['all', { n: 1 }],
      ['all', { n: 0 }],
      ['all', { n: 1 }],
    ]);
  });

  void it('re-aggregates another projection (table → table), retracting its updates and deletes', () => {
    const ex = run(
      {
        sources: { orders: { topic: 'o', key: 'orderId', eventType: 'type' } },
        projections: {
          order_summary: {
            from: 'orders',
            aggregate: { customerId: { latest: 'customerId' }, total: { sum: 'amount' } },
            deleteOn: ['Cancelled'],
          },
          revenue: {
            from: 'order_summary',
            groupBy: 'customerId',
            aggregate: { revenue: { sum: 'total' }, orders: { count: '*' }, biggest: { max: 'total' } },
            having: 'orders > 0',
          },
        },
      },
      [
        rec('o', 'o1', { type: 'Placed', orderId: 'o1', customerId: 'c1', amount: 10 }),
        rec('o', 'o2', { type: 'Placed', orderId: 'o2', customerId: 'c1', amount: 30 }),
        rec('o', 'o2', { type: 'Reassigned', orderId: 'o2', customerId: 'c2' }),
        rec('o', 'o1', { type: 'Cancelled', orderId: 'o1' }),
      ],
    );
    assert.deepEqual(changes(ex, 'revenue'), [
      ['c1', { revenue: 10, orders: 1, biggest: 10 }],
      ['c1', { revenue: 40, orders: 2, biggest: 30 }],
      ['c1', { revenue: 10, orders: 1, biggest: 10 }],
      ['c2', { revenue: 30, orders: 1, biggest: 30 }],
      ['c1', null],
    ]);
    assert.deepEqual(table(ex, 'revenue'), { c2: { revenue: 30, orders: 1, biggest: 30 } });
  });
});
