// What the runtime checks on source records before any projection sees them, chiefly that each
// record sits on the partition its entity key belongs to (docs/runtime.md, "Source partitioning").
export {
  configureEntityChecks,
  type EntityCheck,
  entityCheck,
  type Rejection,
  SKIP_CHECKS_ENV,
} from './entity-check.ts';
export { type Misplacement, misplacement, misplacementMessage } from './placement.ts';
export { MISROUTE_WARNING_INTERVAL_MS, withMisrouteWarnings } from './misroute-warnings.ts';
