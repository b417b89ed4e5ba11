// First-writer-wins sources: an append that goes to the dead letters before its version is checked
// (undecodable, misplaced, or failing its upcast in the reporting projection) is recorded with the
// appends the reporter rejected (projections/first-writer-wins/), so a writer asking for its fate
// over HTTP hears "dead_lettered", not "applied". Written to the task's stores, so it is committed
// with the dead letter itself.
import { RejectedAppends } from '../../projections/first-writer-wins/rejected-appends.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import type { RawRecord } from '../formats/index.ts';
import type { KeyValueStore } from '../../projections/store.ts';

/** Records a poisoned record of a first-writer-wins source; `projection`: the one that failed (process stage). */
export type DeadLetteredAppendRecorder = (
  stores: { store(name: string): KeyValueStore<unknown> },
  raw: RawRecord,
  kind: string,
  projection: string | undefined,
) => void;

export function deadLetteredAppends(topology: Topology): DeadLetteredAppendRecorder | undefined {
  // Sources read through a repartition topic are checked at that topic's positions: not tracked here.
  const byTopic = new Map(
    (topology.firstWriterWins ?? []).filter((f) => !f.reKeyed).map((f) => [f.topic, f] as const),
  );
  if (byTopic.size === 0) return undefined;
  return (stores, raw, kind, projection) => {
    const source = byTopic.get(raw.topic);
    if (!source) return;
    // A failure in another projection leaves the reporter's decision standing; in the reporter,
    // only an upcast fails before the check (an expression may fail after it took the version).
    if (projection !== undefined && (projection !== source.projection || kind !== 'upcast')) return;
    new RejectedAppends(stores.store(source.rejectedAppendsStore)).recordDeadLetter(raw, kind);
  };
}
