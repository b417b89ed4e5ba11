// Final rows of table projections: the store queries read.
export { rowsRecorder, type RowsSpec, type StoredFinalRow } from './recorder.ts';
