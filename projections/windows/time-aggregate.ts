// Tumbling and hopping window aggregation of a stream, as Kafka Streams' KStreamWindowAggregate:
// stream time is the highest timestamp seen (per partition, across keys); a record updates each of
// its windows whose end is still after `stream time - grace`, and is dropped (ctx.late) for the
// others. emit changes: every update emits the window's row, stamped with the newest timestamp in
// the window. emit final: nothing until a window closes; then one row (emitClosedTimeWindows).
import { encodeKey } from '../keys.ts';
import { foldContribution, type StreamAggMessage } from '../operators/aggregate.ts';
import { emitGroup, type GroupOutputSpec } from '../operators/group-output.ts';
import type { ProcessorContext } from '../operators/types.ts';
import { emitFinalRow } from './emit.ts';
import { compareKeys, keyJsonOf, windowedKey, windowedKeyJson } from './keys.ts';
import { timeWindowsFor, windowClosed, type WindowSpec } from './spec.ts';
import { newWindowState, WindowStore } from './state.ts';

// Queries derive each window's row from this store (projections/rows/window-rows.ts): no rows store.
export function timeWindowAggregate(store: string, spec: WindowSpec, out: GroupOutputSpec) {
  return (msg: StreamAggMessage, ctx: ProcessorContext): void => {
    const windows = new WindowStore(ctx.stores.store(store), spec);
    const streamTime = windows.observe(msg.t);
    const closeTime = streamTime - spec.graceMs;
    const encodedKey = encodeKey(msg.k);
    const keyJson = spec.emit === 'changes' ? keyJsonOf(msg.k, encodedKey) : undefined;
    for (const window of timeWindowsFor(msg.t, spec)) {
      if (windowClosed(window, streamTime, spec.graceMs)) {
        ctx.late?.({ projection: out.projection, key: msg.k, timestamp: msg.t, streamTime, window });
        continue;
      }
      const found = windows.get(encodedKey, window);
      const state = found ?? newWindowState(out, msg.k);
      foldContribution(out, state, msg);
      if (spec.emit === 'changes')
        emitGroup(
          out,
          state,
          windowedKey(msg.k, window),
          msg.t,
          ctx,
          keyJson && windowedKeyJson(keyJson, window),
        );
      else state.t = Math.max(state.t ?? msg.t, msg.t);
      windows.put(encodedKey, msg.k, window, state, windows.stored(window, found));
    }
    if (spec.emit === 'final') emitClosedTimeWindows(windows, spec, out, closeTime, ctx);
    windows.save();
  };
}

/**
 * emit final: emits every window that closed since the last pass (end <= closeTime) and is still
 * within retention, once, by window start then key. Kafka Streams' bounds: the range of window
 * starts is (last close - size, close - size], skipped when no new window closed.
 */
export function emitClosedTimeWindows(
  windows: WindowStore,
  spec: WindowSpec,
  out: GroupOutputSpec,
  closeTime: number,
  ctx: ProcessorContext,
): void {
  const last = windows.meta.le;
  if (last !== -1 && last >= closeTime) return;
  const upper = closeTime - spec.sizeMs;
  if (upper < 0) return;
  const lower = last === -1 ? 0 : Math.max(0, last - spec.sizeMs) + 1;
  if (last !== -1) {
    const starts = (t: number) =>
      t < 0
        ? ''
        : timeWindowsFor(t, spec)
            .map((w) => w.start)
            .join(',');
    if (starts(upper) === starts(lower - 1)) return;
  }
  const closed = windows
    .inBuckets(lower, upper)
    .sort((a, b) => a.window.start - b.window.start || compareKeys(a.state.g, b.state.g));
  for (const w of closed) emitFinalRow(out, w.state, w.window, w.state.t ?? w.window.start, ctx);
  windows.meta.le = closeTime;
}
