// What every route handler needs.
import type { StateSource } from '../state-source.ts';

export interface RouteContext {
  source: StateSource;
  /** Time allowed to a forwarded request (on top of any freshness wait it carries). */
  forwardTimeoutMs: number;
  /** Default freshness wait when a query sets minOffset/maxLagMs without timeoutMs. */
  defaultWaitMs: number;
  /** Materialized views' status (PostgreSQL), when the runtime writes any. */
  views?: () => unknown[];
}
