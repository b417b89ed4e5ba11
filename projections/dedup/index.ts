// Event-id deduplication (see docs/event-sourcing.md).
export { DEFAULT_DEDUP_HORIZON_MS, dedupHorizonOf, type DedupStoreSpec, dedupStores } from './horizon.ts';
export { DedupPurger, dedupKey, horizonStart, seenBefore, STREAM_TIME_KEY } from './state.ts';
