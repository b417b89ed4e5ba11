// Final rows of table projections: what queries read, kept in a rows store or derived from the
// aggregate store (windowed aggregates: from the window store).
export { groupRowsView } from './group-rows.ts';
export { rowsRecorder, type RowsSpec, type StoredFinalRow } from './recorder.ts';
export {
  readRow,
  readRows,
  rowOfKey,
  type RowsView,
  scanRows,
  storedRowsView,
  type WindowRowsLayout,
} from './view.ts';
export { derivesWindowRows, windowRowsView } from './window-rows.ts';
