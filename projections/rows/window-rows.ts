// The final rows of a windowed aggregate, derived on read from its window store (no rows store, as
// Kafka Streams' windowed count keeps only its window store). A row is named by its row key
// (`<key>\0<start>\0<end>`, windows/keys.ts) and derived from the entry `w\0<key>\0<start>[\0<end>]`
// with the store's meta, so it reads as what the rows store kept:
//
// - the row is groupRow(state) (after having/select), none while `having` hides it;
// - its time is the newest record time in the window (sessions: the session end, kept in `t`);
// - emit final: only windows closed by the last close check (end ≤ its close time) have a row;
// - a window whose bucket time (start; sessions: end) is before `newest bucket − retention` has
//   none: it is gone at once, not when its segment is deleted later. At exactly that bound it
//   still has one, as emit final may still emit it there.
//
// Sessions with emit final keep a rows store. Derived, their rows would not read as emitted: with
// the default retention (gap + grace) a session closes exactly when it falls past the retention
// bound, so it would never have a row; with a longer one, a session emitted when it closed is still
// visible to merges, and a later record within `gap` of its end (and within grace) merges it into
// a new session, deleting its state without a tombstone — its emitted row stays in the output
// topic, and in the rows store.
import { groupRow, type GroupOutputSpec } from '../operators/group-output.ts';
import type { KeyRange } from '../store.ts';
import {
  parseWindowRowKey,
  parseWindowStoreKey,
  windowedKey,
  windowRowKey,
  windowStoreKey,
} from '../windows/keys.ts';
import type { WindowSpec } from '../windows/spec.ts';
import { META, type WindowState } from '../windows/state.ts';
import type { StoredFinalRow } from './recorder.ts';
import type { RowsView, WindowRowsLayout } from './view.ts';

const SEP = '\u0000';
const WINDOWS = `w${SEP}`;

/** Whether the projection's rows derive from its window store (else: a rows store). */
export const derivesWindowRows = (spec: WindowSpec): boolean =>
  spec.type !== 'session' || spec.emit === 'changes';

/** What of the window store's meta (state.ts) decides a row's visibility. */
interface Meta {
  nb: number;
  le: number;
}

/**
 * Cuts a row-key bound before its first NUL: a string ≤ the window-store part (`<key>\0<start>`)
 * of every row key the bound admits, so a store range from it misses none of them.
 */
const cut = (bound: string): string => {
  const i = bound.indexOf(SEP);
  return i < 0 ? bound : bound.slice(0, i);
};

export function windowRowsView(store: string, spec: WindowSpec, out: GroupOutputSpec): RowsView {
  const layout: WindowRowsLayout = {
    storeRange(range: KeyRange): KeyRange {
      const lower = [range.gte, range.gt].filter((b) => b !== undefined).map((b) => WINDOWS + cut(b));
      return {
        prefix: WINDOWS + cut(range.prefix ?? ''),
        ...(lower.length > 0 ? { gte: lower.sort().at(-1)! } : {}),
        ...(range.lt !== undefined ? { lt: WINDOWS + range.lt } : {}),
      };
    },
    storeKey(rowKey) {
      const parsed = parseWindowRowKey(rowKey);
      if (!parsed) return undefined;
      const { key, window } = parsed;
      // a time window's end follows from its start: another end names no window
      if (spec.type !== 'session' && window.end !== window.start + spec.sizeMs) return undefined;
      return windowStoreKey(key, window, spec.type);
    },
    reader(get) {
      const meta = (get(META) as Meta | undefined) ?? { nb: -1, le: -1 };
      const oldest = meta.nb - spec.retentionMs;
      return (storeKey, stored) => {
        const parsed = parseWindowStoreKey(storeKey, spec.type, spec.sizeMs);
        if (!parsed) return null;
        const { key, window } = parsed;
        if ((spec.type === 'session' ? window.end : window.start) < oldest) return null;
        // emit final (time windows): the windows that closed by the last close check were emitted
        if (spec.emit === 'final' && window.end > meta.le) return null;
        const state = stored as WindowState;
        const v = groupRow(out, state, windowedKey(state.g, window));
        if (v === null) return null;
        const row: StoredFinalRow = { v, t: state.t ?? window.start };
        return [windowRowKey(key, window), row];
      };
    },
  };
  return {
    store,
    derived: true,
    hides: true,
    // a window entry alone does not tell whether its window has a row: read through `windows`
    read: () => null,
    windows: layout,
  };
}
