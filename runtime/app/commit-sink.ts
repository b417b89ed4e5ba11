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
   * Under the lock, before the task's commit is prepared: writes into the task's write cache that
   * must go with this commit (housekeeping such as dedup purges).
   */
  beforePrepare?(task: Task): Promise<void>;
  /**
   * Under the lock, after prepare: adds this sink's records of the task to its commit, or rewrites
   * the commit's records. A throw rolls the whole commit back (the records are processed again).
   */
  collect?(commit: TaskCommit): Promise<void>;
  /** Kafka committed the commit and the task's stores completed it (replies may go out now). */
  completed?(commit: TaskCommit): void;
  /** The task went back to its last completed commit: drop what was kept for it since then. */
  rollback?(task: number): void;
  /** The task closed (revoked, re-synced or stopping): drop everything kept for it. */
  close?(task: number): void;
}
