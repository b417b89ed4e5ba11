// Metrics (Prometheus, prom-client) and health/readiness of a runtime instance. The runtime
// updates them; the HTTP layer serves `metricsText()`, `healthz()` and `readyz()`.
export { mountMetrics } from './http.ts';
export { type Exposition, parseExposition, type Sample, sampleValue, samplesOf } from './exposition.ts';
export {
  type HealthResponse,
  HealthState,
  healthz,
  type Liveness,
  type Readiness,
  readyz,
  type TaskId,
} from './health.ts';
export {
  COMMIT_BUCKETS,
  createMetrics,
  type DeadLetterLabels,
  METRIC_NAMES,
  Metrics,
  type MetricsOptions,
  type MetricsSnapshot,
} from './metrics.ts';
