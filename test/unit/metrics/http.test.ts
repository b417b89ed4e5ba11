// /metrics mounted on the HTTP API's fastify instance: the exposition with its content type.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHttpServer, MemoryStateSource } from '../../../runtime/http/index.ts';
import {
  createMetrics,
  METRIC_NAMES,
  mountMetrics,
  parseExposition,
  sampleValue,
} from '../../../runtime/metrics/index.ts';

void describe('mountMetrics', () => {
  void test('serves the registry as Prometheus text next to the query API', async () => {
    const source = new MemoryStateSource({ projections: { balances: {} }, partitions: 1 });
    const { app } = createHttpServer({ stateSource: source });
    const metrics = createMetrics({ application: 'shop' });
    mountMetrics(app, metrics);
    metrics.recordsIn('balances', 3);
    try {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
      const text = parseExposition(res.body);
      assert.equal(sampleValue(text, METRIC_NAMES.recordsIn, { projection: 'balances' }), 3);
      metrics.recordsIn('balances', 2);
      const again = parseExposition((await app.inject({ method: 'GET', url: '/metrics' })).body);
      assert.equal(
        sampleValue(again, METRIC_NAMES.recordsIn, { projection: 'balances' }),
        5,
        'read at scrape time',
      );
      assert.equal(
        (await app.inject({ method: 'GET', url: '/healthz' })).statusCode,
        200,
        'the API still answers',
      );
    } finally {
      await app.close();
    }
  });
});
