// emit final without a new record: the commit-time entry point (SubTopology.punctuate) that emits
// the windows closed by the stream time already in the store. Operators run the same check after
// each record, so calling it again emits nothing twice.
import type { GroupOutputSpec } from '../operators/group-output.ts';
import type { ProcessorContext } from '../operators/types.ts';
import { emitClosedSessions } from './session-aggregate.ts';
import type { WindowSpec } from './spec.ts';
import { WindowStore } from './state.ts';
import { emitClosedTimeWindows } from './time-aggregate.ts';

export function emitClosedWindows(
  store: string,
  spec: WindowSpec,
  out: GroupOutputSpec,
  ctx: ProcessorContext,
): void {
  const windows = new WindowStore(ctx.stores.store(store), spec);
  const streamTime = windows.meta.st;
  if (streamTime < 0) return;
  if (spec.type === 'session') emitClosedSessions(windows, out, streamTime - spec.graceMs - spec.gapMs, ctx);
  else emitClosedTimeWindows(windows, spec, out, streamTime - spec.graceMs, ctx);
  windows.save();
}
