// The final rows of an aggregate projection, derived from its group states: the row emitted after
// each update is groupRow(state), so reading it back needs no store of its own.
import { groupRow, type GroupOutputSpec, type GroupState } from '../operators/group-output.ts';
import type { RowsView } from './view.ts';

export function groupRowsView(store: string, spec: GroupOutputSpec): RowsView {
  // having/select see composite key components (an object key, stored as canonical JSON) or _key
  // (kept in the state: a scalar's encoding does not tell a string from a number).
  const keyOf = (key: string, state: GroupState): unknown =>
    spec.needsKey ? state.k : spec.components.length > 0 ? JSON.parse(key) : key;
  return {
    store,
    derived: true,
    hides: spec.having !== undefined,
    read(key, stored) {
      const state = stored as GroupState;
      const v = groupRow(spec, state, keyOf(key, state));
      return v === null ? null : { v, t: state.t ?? 0 };
    },
  };
}
