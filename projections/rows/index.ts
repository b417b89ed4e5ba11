// Final rows of table projections: what queries read, kept in a rows store or derived from the
// aggregate store.
export { groupRowsView } from './group-rows.ts';
export { rowsRecorder, type RowsSpec, type StoredFinalRow } from './recorder.ts';
export { readRow, readRows, type RowsView, storedRowsView } from './view.ts';
