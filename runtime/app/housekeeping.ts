// Housekeeping: expired event ids are purged from the tasks' dedup stores in bounded slices, once
// per commit interval and task: the slice is scanned off the processing lock, the entries still
// expired are deleted under it; the tombstones go with the task's next commit. (It ran inside
// every commit's preparation once, scan included: ~2 ms per task under the lock, and up to ~90 ms
// on a loaded machine, which every command waiting for that commit paid.)
//
// A commit sink (commit-sink.ts) with only a `housekeep` step. Must not buffer records or do
// I/O on Kafka; its writes go through the task's write cache like any state change.
import type { Definition } from '../../projections/definition/schema.ts';
import { DedupPurger, dedupStores } from '../../projections/dedup/index.ts';
import type { Task } from '../tasks/index.ts';
import type { CommitSink } from './commit-sink.ts';

/** Dedup entries a purge looks at per task and commit: bounded work, however large the store. */
const DEDUP_PURGE_SLICE = 256;

export class DedupHousekeeping implements CommitSink {
  /** Per task: its dedup stores' purgers (expired event ids removed in bounded slices at commit). */
  private readonly purgers = new Map<number, DedupPurger[]>();

  constructor(
    private readonly definition: Definition,
    /** The topology's store names: only dedup stores among them are purged. */
    private readonly stores: readonly string[],
  ) {}

  async housekeep(task: Task, locked: (write: () => void) => Promise<boolean>): Promise<void> {
    let list = this.purgers.get(task.id);
    if (!list) {
      list = dedupStores(this.definition)
        .filter((d) => this.stores.includes(d.store))
        .map((d) => new DedupPurger(task.stores.store<number>(d.store), d.horizonMs));
      this.purgers.set(task.id, list);
    }
    for (const purger of list) {
      const { expired } = await purger.scan(DEDUP_PURGE_SLICE);
      if (expired.length > 0 && !(await locked(() => purger.deleteExpired(expired)))) return;
    }
  }

  close(task: number): void {
    this.purgers.delete(task);
  }
}
