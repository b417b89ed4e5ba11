// The Kafka half of a commit: write each task's changelog and output/exchange records, wait for the
// acknowledgements, then store its consumed offsets in the group. Tasks call it through this
// interface so exactly-once can replace the at-least-once implementation with one transactional
// producer per task (records + sendOffsets + commit in one transaction) without touching the
// commit loop: the loop only needs the changelog offsets the broker acknowledged. A transport must
// not touch the tasks' state: completing or rolling back is the coordinator's.
import type { Consumer, Producer } from 'kafkajs';
import { changelogMessages } from '../stores/index.ts';
import { commitMessages, sendInChunks } from './commit-messages.ts';
import type { TaskCommit } from './task.ts';

export interface CommitOutcome {
  /** Next changelog offset per `topic:partition`, from the broker's acknowledgements. */
  changelogOffsets: Map<string, number>;
  /** Whether the group now has the task's offsets (at-least-once: may fail during a rebalance). */
  offsetsCommitted: boolean;
  offsetError?: unknown;
  /**
   * Exactly-once: this task's transaction failed (aborted, or its fate unknown). Nothing of the
   * commit may be assumed: the caller re-syncs the task with Kafka before it processes again.
   */
  failed?: boolean;
}

export interface CommitTransport {
  /**
   * Makes the commits durable in Kafka. Rejects when records could not be written: the caller
   * then rolls the tasks back and rewinds their input. Outcomes are in the order of `commits`.
   * `onCommitted(i)`, when the transport knows it before the others, says that `commits[i]` is
   * durable (its own transaction committed) while other tasks' may still be under way.
   */
  commit(commits: TaskCommit[], onCommitted?: (index: number) => void): Promise<CommitOutcome[]>;
  close(): Promise<void>;
}

/**
 * At-least-once: one idempotent producer (acks=all) for every task, then one offset commit. The
 * exchange records went out earlier, as produced (lingering-sender.ts); the offset commit waits
 * for their acknowledgement too.
 * A crash after the records are written but before the offsets are committed replays those input
 * records: aggregates that are not idempotent (sum, count) may count them twice.
 */
export class AtLeastOnceTransport implements CommitTransport {
  constructor(
    private readonly producer: Pick<Producer, 'sendBatch'>,
    private readonly consumer: Pick<Consumer, 'commitOffsets'>,
  ) {}

  async commit(commits: TaskCommit[]): Promise<CommitOutcome[]> {
    const now = Date.now();
    // Dead letters go with the records, before the offsets: a crash in between re-processes the
    // records and may write a dead letter twice, never lose one.
    const all = commits.flatMap((c) => commitMessages(c, changelogMessages(c.changelog, now), now));
    const nextOffsets = await sendInChunks((batch) => this.producer.sendBatch(batch), all);
    // The exchange records sent as produced (task.ts): offsets only after their acknowledgement,
    // or a crash right after the offset commit would lose them. A failed send fails the commit.
    for (const c of commits) if (c.sent) await c.sent;
    const offsets = commits.flatMap((c) =>
      [...c.offsets].map(([topic, offset]) => ({ topic, partition: c.task, offset: String(offset) })),
    );
    let offsetsCommitted = true;
    let offsetError: unknown;
    if (offsets.length > 0) {
      try {
        await this.consumer.commitOffsets(offsets);
      } catch (err) {
        offsetsCommitted = false;
        offsetError = err;
      }
    }
    // A task's changelog partitions all carry its own partition number.
    return commits.map((c) => ({
      changelogOffsets: new Map(
        [...nextOffsets].filter(([k]) => k.slice(k.lastIndexOf(':') + 1) === String(c.task)),
      ),
      offsetsCommitted,
      offsetError,
    }));
  }

  async close(): Promise<void> {
    // The producer and consumer belong to the application.
  }
}
