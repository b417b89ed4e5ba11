// What windowed aggregates share: folding one event's contribution into a group state, and the
// single row emit final sends for a closed window.
import type { StreamAggMessage } from '../operators/aggregate.ts';
import { type GroupOutputSpec, type GroupState, groupRow } from '../operators/group-output.ts';
import type { ProcessorContext } from '../operators/types.ts';
import { windowedKey } from './keys.ts';
import type { Window } from './spec.ts';
import type { WindowState } from './state.ts';

export function foldContribution(out: GroupOutputSpec, state: GroupState, msg: StreamAggMessage): void {
  const c = msg.c ?? {};
  for (const input of out.inputs) {
    const v = c[input.field];
    if (v !== undefined) state.a[input.field] = input.accumulator.add(state.a[input.field], v, '');
  }
}

/** emit final: the closed window's row; nothing when `having` hides it (no tombstone: nothing was emitted). */
export function emitFinalRow(
  out: GroupOutputSpec,
  state: WindowState,
  window: Window,
  timestamp: number,
  ctx: ProcessorContext,
): void {
  const key = windowedKey(state.g, window);
  const value = groupRow(out, state, key);
  if (value !== null) ctx.emit({ projection: out.projection, key, value, timestamp });
}
