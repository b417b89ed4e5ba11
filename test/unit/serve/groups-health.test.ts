// Readiness over several consumer groups in one process: not ready until every group has its
// assignment and every assigned task of every group restored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthState } from '../../../runtime/metrics/health.ts';
import { GroupsHealth } from '../../../runtime/serve/groups-health.ts';

describe('GroupsHealth', () => {
  it('is ready once every group is assigned and all their tasks restored', () => {
    const health = new HealthState();
    health.started();
    const groups = new GroupsHealth(health, ['shop', 'shop-balances-v2']);
    const shop = groups.of('shop');
    const v2 = groups.of('shop-balances-v2');
    shop.assigned([0, 1]);
    shop.restored(0);
    shop.restored(1);
    assert.equal(health.readiness().ready, false, 'the second group has no assignment yet');
    v2.assigned(['shop-balances-v2/0', 'shop-balances-v2/1']);
    v2.restoring('shop-balances-v2/0');
    v2.restored('shop-balances-v2/1');
    assert.deepEqual(health.readiness().restoring, ['shop-balances-v2/0']);
    assert.equal(health.readiness().ready, false);
    v2.restored('shop-balances-v2/0');
    assert.equal(health.readiness().ready, true);
    // A new assignment of one group keeps the other group's tasks.
    shop.assigned([0]);
    assert.deepEqual(health.readiness().restored.sort(), [0, 'shop-balances-v2/0', 'shop-balances-v2/1']);
  });

  it('with one group, behaves as the HealthState alone', () => {
    const health = new HealthState();
    health.started();
    const only = new GroupsHealth(health, ['shop']).of('shop');
    only.assigned([0]);
    assert.equal(health.readiness().ready, false);
    only.restored(0);
    assert.equal(health.readiness().ready, true);
  });
});
