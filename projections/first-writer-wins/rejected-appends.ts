// Which appends first-writer-wins rejected, by their position in the source topic, so a writer that
// bypasses streamfold can ask for the fate of its append (GET /sources/{source}/appends/...). One
// store per reporting projection (changelogged, restored and committed with the rejection record),
// bounded to the last `horizon` rejections of each task:
//   a/<partition>/<offset> → the rejection (what the rejections topic record says, without the event),
//                            or `{ deadLettered: kind }` for an append that never reached the check;
//   f/<partition>          → the highest offset whose rejection was forgotten (older: unknown);
//   h/<seq>, n             → the horizon (projections/horizon/).
import { BoundedEntries } from '../horizon/bounded-entries.ts';
import type { KeyValueStore } from '../store.ts';

/** Rejections kept per task (partition): an append older than the oldest forgotten one answers "unknown". */
export const DEFAULT_REJECTED_APPENDS_HORIZON = 100_000;

export interface RejectedAppend {
  /** The entity key. */
  key: unknown;
  reason: string;
  /** The version the event had to carry. */
  expected: number;
  /** What it carried (null when nothing). */
  actual: unknown;
  /** Event time (ms). */
  t: number;
}

export type AppendFate =
  /** The owner has not read that offset yet. */
  | { status: 'pending' }
  /** Read and not rejected by first-writer-wins. */
  | { status: 'applied' }
  | { status: 'rejected'; rejection: RejectedAppend }
  /** Never checked: it went to the dead-letter topic (undecodable, misplaced, failed upcast…). */
  | { status: 'dead_lettered'; kind: string }
  /** Older than the horizon: its rejection, if any, was forgotten. */
  | { status: 'forgotten'; forgottenUpTo: number };

interface DeadLettered {
  deadLettered: string;
}

interface Position {
  partition: number;
  offset: number;
}

const appendKey = (partition: number, offset: number) => `a/${partition}/${String(offset).padStart(16, '0')}`;
const floorKey = (partition: number) => `f/${partition}`;

export class RejectedAppends {
  private readonly entries: BoundedEntries<RejectedAppend | DeadLettered>;

  constructor(
    private readonly store: KeyValueStore<unknown>,
    horizon = DEFAULT_REJECTED_APPENDS_HORIZON,
  ) {
    this.entries = new BoundedEntries(store, horizon);
  }

  /** Records a rejected append (once: a record processed again after a rollback is not counted twice). */
  record(origin: Position, rejection: RejectedAppend): void {
    this.put(origin, rejection);
  }

  /** Records an append that went to the dead letters before the check (its poison kind). */
  recordDeadLetter(origin: Position, kind: string): void {
    this.put(origin, { deadLettered: kind });
  }

  private put(origin: Position, entry: RejectedAppend | DeadLettered): void {
    const key = appendKey(origin.partition, origin.offset);
    if (this.entries.get(key) !== undefined) return;
    const forgotten = this.entries.put(key, entry);
    if (!forgotten) return;
    const [, partition, offset] = forgotten.key.split('/');
    const floor = floorKey(Number(partition));
    this.store.put(floor, Math.max(Number(offset), (this.store.get(floor) as number | undefined) ?? -1));
  }
}

/**
 * The fate of the append at (partition, offset), read from a RejectedAppends store by the owner of
 * the partition, whose position (next offset to read) is `position`.
 */
export function appendFate(
  read: (key: string) => unknown,
  partition: number,
  offset: number,
  position: number,
): AppendFate {
  if (offset >= position) return { status: 'pending' };
  const entry = read(appendKey(partition, offset)) as RejectedAppend | DeadLettered | undefined;
  if (entry !== undefined && 'deadLettered' in entry)
    return { status: 'dead_lettered', kind: entry.deadLettered };
  if (entry !== undefined) return { status: 'rejected', rejection: entry };
  const floor = read(floorKey(partition)) as number | undefined;
  if (floor !== undefined && offset <= floor) return { status: 'forgotten', forgottenUpTo: floor };
  return { status: 'applied' };
}
