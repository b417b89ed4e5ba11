// The single row emit final sends for a closed window (time windows and sessions alike).
import { type GroupOutputSpec, groupRow } from '../operators/group-output.ts';
import type { ProcessorContext } from '../operators/types.ts';
import { windowedKey } from './keys.ts';
import type { Window } from './spec.ts';
import type { WindowState } from './state.ts';

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
