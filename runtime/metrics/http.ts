// `GET /metrics` on a fastify instance (the HTTP API's, or a separate one): Prometheus scrapes the
// text exposition of this runtime's registry.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

export function mountMetrics(app: FastifyInstance, metrics: Metrics, path = '/metrics'): void {
  app.get(path, async (_request, reply) => {
    const text = await metrics.metricsText();
    return reply.type(metrics.contentType).send(text);
  });
}
