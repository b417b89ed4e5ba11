// Health and readiness: ready only after start, assignment and the restore of every assigned task.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HealthState, healthz, readyz } from '../../../runtime/metrics/index.ts';

void describe('HealthState', () => {
  void test('not ready while starting, waiting for tasks or restoring; ready after all restored', () => {
    const h = new HealthState();
    assert.deepEqual(readyz(h), {
      statusCode: 503,
      body: { status: 'not_ready', reason: 'starting', restoring: [] },
    });
    h.started();
    assert.match(h.readiness().reason ?? '', /waiting for the group/);
    h.assigned([0, 1, 2]);
    assert.equal(readyz(h).statusCode, 503);
    assert.deepEqual(h.readiness().restoring, [0, 1, 2]);
    h.restored(0);
    h.restored(2);
    assert.deepEqual(readyz(h).body, {
      status: 'not_ready',
      reason: 'restoring 1 of 3 tasks',
      restoring: [1],
    });
    h.restored(1);
    assert.deepEqual(readyz(h), { statusCode: 200, body: { status: 'ready' } });
    assert.deepEqual(healthz(h), { statusCode: 200, body: { status: 'ok' } });
  });

  void test('a rebalance keeps restored tasks, adds restoring ones and drops revoked ones', () => {
    const h = new HealthState();
    h.started();
    h.assigned([0, 1]);
    h.restored(0);
    h.restored(1);
    h.assigned([1, 3]);
    const r = h.readiness();
    assert.equal(r.ready, false);
    assert.deepEqual(r.restoring, [3]);
    assert.deepEqual(r.restored, [1]);
    h.restored(0); // revoked: ignored
    assert.deepEqual(h.readiness().restored, [1]);
    h.restored(3);
    assert.equal(h.readiness().ready, true);
    h.restoring(1);
    assert.deepEqual(h.readiness().restoring, [1]);
  });

  void test('an empty assignment is ready', () => {
    const h = new HealthState();
    h.started();
    h.assigned([]);
    assert.equal(readyz(h).statusCode, 200);
  });

  void test('stopping drains: not ready, still live', () => {
    const h = new HealthState();
    h.started();
    h.assigned([0]);
    h.restored(0);
    h.stopping();
    assert.deepEqual(readyz(h).body, { status: 'not_ready', reason: 'stopping', restoring: [] });
    assert.equal(healthz(h).statusCode, 200);
    h.stopped();
    assert.equal(h.readiness().reason, 'stopped');
  });

  void test('a fatal error fails liveness and readiness with the first reason', () => {
    const h = new HealthState();
    h.started();
    h.assigned([]);
    h.fail('store corrupted');
    h.fail('later error');
    assert.deepEqual(healthz(h), { statusCode: 503, body: { status: 'failed', reason: 'store corrupted' } });
    assert.equal(readyz(h).statusCode, 503);
    assert.equal(h.readiness().reason, 'failed: store corrupted');
  });
});
