// Time travel: per-key row versions of table projections that declare `history`.
export { DURATION_HINT, DURATION_PATTERN, parseDuration } from './duration.ts';
export {
  type AsOf,
  chunkKey,
  DEFAULT_CHUNK_SIZE,
  type HistoryHead,
  type HistoryLimits,
  headKey,
  readHistory,
  recordVersion,
  valueAsOf,
  versionAsOf,
} from './layout.ts';
export { bucketKey, PURGE_STATE_KEY, purgeDeleted } from './purge.ts';
export { readAsOf } from './read.ts';
export { type HistorySpec, historyRecorder } from './recorder.ts';
export { lastAtOrBefore, sameRow, type Version } from './versions.ts';
