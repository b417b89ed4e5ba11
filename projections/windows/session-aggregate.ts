// Session window aggregation of a stream, as Kafka Streams' KStreamSessionWindowAggregate. A record
// at t joins every visible session of its key with end >= t - gap and start <= t + gap: they merge
// into one session [min start, max end] (their states merged in time order, then the record added).
// emit changes: each absorbed session is first retracted (a tombstone on its old window key), then
// the merged session is emitted; rows are stamped with the session end. A record whose merged
// session would end before `stream time - gap - grace` is dropped (ctx.late).
// emit final: a session is emitted once, when its end falls before that close time.
import { encodeKey } from '../keys.ts';
import { foldContribution, type StreamAggMessage } from '../operators/aggregate.ts';
import { emitGroup, type GroupOutputSpec, wasVisible } from '../operators/group-output.ts';
import type { ProcessorContext } from '../operators/types.ts';
import { emitFinalRow } from './emit.ts';
import { compareKeys, windowedKey, windowRowKey } from './keys.ts';
import type { Window, WindowSpec } from './spec.ts';
import { newWindowState, type OnExpire, type WindowState, WindowStore } from './state.ts';

/** `rowsStore`: emit final keeps its rows there (projections/rows/window-rows.ts says why). */
export function sessionWindowAggregate(
  store: string,
  spec: WindowSpec,
  out: GroupOutputSpec,
  rowsStore?: string,
) {
  return (msg: StreamAggMessage, ctx: ProcessorContext): void => {
    const windows = new WindowStore(ctx.stores.store(store), spec, expireRows(ctx, rowsStore));
    const streamTime = windows.observe(msg.t);
    const closeTime = streamTime - spec.graceMs - spec.gapMs;
    // Closed sessions go out before this record's put can expire them from the store (Kafka
    // Streams drops whole segments, so they are still there when it emits after the put).
    if (spec.emit === 'final') emitClosedSessions(windows, out, closeTime, ctx);
    const encodedKey = encodeKey(msg.k);
    const t = msg.t;
    const absorbed = windows
      .windowsOf(encodedKey)
      .filter((s) => s.window.end >= t - spec.gapMs && s.window.start <= t + spec.gapMs);
    const merged: Window = { start: t, end: t };
    let state = newWindowState(out, msg.k);
    for (const s of absorbed) {
      merged.start = Math.min(merged.start, s.window.start);
      merged.end = Math.max(merged.end, s.window.end);
      state = mergeStates(out, state, s.state);
    }
    if (merged.end < closeTime) {
      ctx.late?.({ projection: out.projection, key: msg.k, timestamp: t, streamTime, window: merged });
    } else {
      const unchanged = merged.start === t && merged.end === t;
      if (!unchanged) {
        for (const s of absorbed) {
          windows.remove(encodedKey, s.window);
          if (spec.emit === 'changes' && wasVisible(out, s.state))
            ctx.emit({
              projection: out.projection,
              key: windowedKey(msg.k, s.window),
              value: null,
              timestamp: s.window.end,
            });
        }
      }
      foldContribution(out, state, msg);
      // a session's rows carry its end; a merged session is a new key, unseen downstream
      if (unchanged && absorbed[0]?.state.e) state.e = 1;
      state.t = merged.end;
      if (spec.emit === 'changes') emitGroup(out, state, windowedKey(msg.k, merged), merged.end, ctx);
      windows.put(encodedKey, msg.k, merged, state);
    }
    windows.save();
  };
}

/** Merges an absorbed session's state into the state being built (sessions come in end order). */
function mergeStates(out: GroupOutputSpec, into: WindowState, from: WindowState): WindowState {
  for (const input of out.inputs) {
    const acc = input.accumulator;
    if (!acc.merge) throw new Error(`${input.spec.name} cannot merge session windows`);
    into.a[input.field] = acc.merge(into.a[input.field], from.a[input.field]);
  }
  return into;
}

/**
 * emit final: emits the sessions whose end is in [last close, close - 1], by end then key (Kafka
 * Streams' time-ordered session store), once.
 */
export function emitClosedSessions(
  windows: WindowStore,
  out: GroupOutputSpec,
  closeTime: number,
  ctx: ProcessorContext,
): void {
  const last = windows.meta.le;
  if (last !== -1 && last >= closeTime) return;
  const upper = closeTime - 1;
  const lower = Math.max(0, last);
  if (upper < 0 || upper < lower) return;
  const closed = windows
    .inBuckets(lower, upper)
    .sort((a, b) => a.window.end - b.window.end || compareKeys(a.state.g, b.state.g));
  for (const s of closed) emitFinalRow(out, s.state, s.window, s.window.end, ctx);
  windows.meta.le = closeTime;
}

/** Retention also drops an expired session's final row from the projection's rows store (queries). */
function expireRows(ctx: ProcessorContext, rowsStore: string | undefined): OnExpire | undefined {
  if (!rowsStore) return undefined;
  const rows = ctx.stores.store(rowsStore);
  return (key, window) => rows.delete(windowRowKey(encodeKey(key), window));
}
