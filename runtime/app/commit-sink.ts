// The seam between the commit coordinator and what a commit carries besides the task's own output.
//
// A task's prepared commit (Task.prepareCommit) holds its changelog records (the stores' write
// cache) and its output and exchange records (its output buffer). Sinks are the other parties of a
// commit, called by the CommitCoordinator in the order they are registered: registry encoding of
// output records, dead letters, dedup purges, command events and outcomes (runtime/commands/). A new kind of committed output
// is one more sink; the protocol (commit-coordinator.ts) does not change for it.
//
// Must not do I/O on Kafka: the transport writes what the sinks put into the commit.
import type { Task, TaskCommit } from '../tasks/index.ts';

export interface CommitSink {
  /**
   * Once per commit interval and task, off the lock and outside commits (commands' commits do not
   * wait for it): housekeeping reads, then writes into the task's write cache through `locked`
   * (dedup purges); the writes go with the task's next commit. `locked` runs `write` under the
   * processing lock, only while the task still runs here (false otherwise).
   */
  housekeep?(task: Task, locked: (write: () => void) => Promise<boolean>): Promise<void>;
  /**
   * Under the lock, after prepare: adds this sink's records of the task to its commit, or rewrites
   * the commit's records. A throw rolls the whole commit back (the records are processed again).
   */
  collect?(commit: TaskCommit): Promise<void>;
  /**
   * Kafka committed the commit (under exactly-once: the task's transaction), so it is durable:
   * replies may go out now. Called before the task's stores complete it in LevelDB (they equal the
   * changelog, and a crash in between restores from it) and without waiting for the other tasks'
   * transactions of the same commit.
   */
  committed?(commit: TaskCommit): void;
  /** The task went back to its last completed commit: drop what was kept for it since then. */
  rollback?(task: number): void;
  /** The task closed (revoked, re-synced or stopping): drop everything kept for it. */
  close?(task: number): void;
}
