// Housekeeping at commit: expired event ids are purged from the tasks' dedup stores in bounded
// slices, before each commit is prepared, so the tombstones go with that commit.
//
// A commit sink (commit-sink.ts) with only a `beforePrepare` step. Must not buffer records or do
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

  async beforePrepare(task: Task): Promise<void> {
    let list = this.purgers.get(task.id);
    if (!list) {
      list = dedupStores(this.definition)
        .filter((d) => this.stores.includes(d.store))
        .map((d) => new DedupPurger(task.stores.store<number>(d.store), d.horizonMs));
      this.purgers.set(task.id, list);
    }
    for (const purger of list) await purger.purge(DEDUP_PURGE_SLICE);
  }

  close(task: number): void {
    this.purgers.delete(task);
  }
}
