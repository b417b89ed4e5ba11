// /healthz and /readyz when the runtime passes its HealthState (streamfold run).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpServer } from '../../../runtime/http/server.ts';
import { HealthState } from '../../../runtime/metrics/health.ts';
import { sampleSource } from './helpers.ts';

describe('health routes over the runtime’s HealthState', () => {
  it('readyz follows start, assignment and restore; healthz turns 503 after a fatal error', async () => {
    const health = new HealthState();
    const { app } = createHttpServer({ stateSource: sampleSource(1), health });
    const get = async (path: string) => {
      const r = await app.inject(path);
      return {
        status: r.statusCode,
        body: JSON.parse(r.body) as Record<string, unknown>,
        retry: r.headers['retry-after'],
      };
    };
    assert.deepEqual(await get('/readyz'), {
      status: 503,
      body: { status: 'not_ready', reason: 'starting', restoring: [] },
      retry: '1',
    });
    health.started();
    health.assigned([0, 1]);
    health.restored(0);
    const restoring = await get('/readyz');
    assert.equal(restoring.status, 503);
    assert.deepEqual(restoring.body.restoring, [1]);
    health.restored(1);
    assert.deepEqual(await get('/readyz'), { status: 200, body: { status: 'ready' }, retry: undefined });
    assert.deepEqual((await get('/healthz')).body, { status: 'ok' });
    health.fail('the consumer stopped');
    assert.deepEqual(await get('/healthz'), {
      status: 503,
      body: { status: 'failed', reason: 'the consumer stopped' },
      retry: undefined,
    });
    assert.equal((await get('/readyz')).status, 503);
  });
});
