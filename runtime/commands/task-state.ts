// What a command decides on, read from the task that owns its entity: each state entry's row (a
// windowed entry's row in the window holding the command's time, with that window store's stream
// time) and the entity's version, from the task's stores and write cache, so events the task
// accepted but has not read back yet count. Must not decide (the pure core does) nor write.
import {
  type CompiledCommand,
  entityVersionProjectionName,
  type StateRead,
} from '../../projections/commands/index.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import { encodeKey } from '../../projections/keys.ts';
import { readRow } from '../../projections/rows/view.ts';
import { windowRowKey } from '../../projections/windows/keys.ts';
import { windowStreamTime } from '../../projections/windows/state.ts';
import type { TaskStores } from '../stores/index.ts';

export interface CommandState {
  state: Record<string, unknown>;
  /** Per windowed state entry: its window store's stream time (DecideRequest.streamTimes). */
  streamTimes: Record<string, number>;
  version: number;
}

export function readCommandState(
  topology: Topology,
  stores: TaskStores,
  command: CompiledCommand,
  input: Record<string, unknown>,
  now: number,
): CommandState {
  const viewOf = (projection: string) => topology.projections.find((p) => p.name === projection)?.rows;
  const row = (read: Pick<StateRead, 'projection' | 'key' | 'window'>) => {
    const view = viewOf(read.projection);
    const key = read.window ? windowRowKey(encodeKey(read.key), read.window) : encodeKey(read.key);
    return view ? readRow(stores, view, key)?.v : undefined;
  };
  const state: Record<string, unknown> = {};
  const streamTimes: Record<string, number> = {};
  for (const read of command.stateReads(input, now)) {
    state[read.name] = row(read) ?? null;
    if (!read.window) continue;
    const view = viewOf(read.projection);
    streamTimes[read.name] = view ? windowStreamTime(stores.store(view.store)) : -1;
  }
  const versionRow = row({
    projection: entityVersionProjectionName(command.entity.source),
    key: command.keyOf(input),
  }) as { version?: number } | undefined;
  return { state, streamTimes, version: Number(versionRow?.version ?? 0) };
}
