// Time travel: per-key row versions of table projections that declare `history`.
export { DURATION_HINT, DURATION_PATTERN, parseDuration } from './duration.ts';
export { readAsOf } from './read.ts';
export { type HistorySpec, historyRecorder } from './recorder.ts';
export {
  addVersion,
  type AsOf,
  type HistoryLimits,
  type HistoryValue,
  trim,
  type Version,
  valueAsOf,
} from './versions.ts';
