// Exactly-once: one transactional producer per task, each commit ONE Kafka transaction holding the
// task's changelog records, output and exchange records, dead letters and consumed offsets.
//
// Why per task, with the stable id `<application>-<task>`: kafkajs predates KIP-447, its
// sendOffsets carries only the group id (no member id / generation), so the group coordinator
// cannot reject a zombie's offsets. Fencing therefore rests on the transactional id: whoever owns
// task p initialises the producer `<application>-p`, which bumps that id's epoch and aborts any
// transaction the previous owner left open; the previous owner's next transactional call then
// fails with PRODUCER_FENCED. One id per task means exactly the producers that could write task p's
// results fence each other, and no one else.
//
// On any transactional error the transaction is aborted when possible and the producer is thrown
// away (kafkajs cannot reuse a producer after some transactional errors, #1416, #1282); the caller
// gets the error in the task's outcome and re-syncs the task with Kafka (new producer, store caught
// up from its checkpoint, offsets re-read from the group) before it processes again.
// Must not re-sync the task itself: that is the commit coordinator's and the task manager's.
import type { Kafka, Producer } from 'kafkajs';
import { type CommitTrace, commandTrace } from '../metrics/command-trace.ts';
import { changelogMessages } from '../stores/index.ts';
import type { CommitOutcome, CommitTransport } from './commit-transport.ts';
import { commitMessages, sendInChunks } from './commit-messages.ts';
import type { TaskCommit } from './task.ts';

export const transactionalIdOf = (application: string, task: number): string => `${application}-${task}`;

/**
 * Retries of a transactional producer. A transaction started right after the previous one committed
 * is refused with CONCURRENT_TRANSACTIONS until the coordinator has written the previous commit's
 * markers (a few ms on a local broker); kafkajs retries every retriable error with one back-off,
 * whose default first wait (300 ms, ours was 100 ms) then lands on most commits that follow each other
 * closely, as commands' commits do. A short first wait with more retries keeps about the same total
 * patience (~6 s) for real failures (leader moves, coordinator loading).
 */
export const TRANSACTIONAL_RETRY = { initialRetryTime: 10, maxRetryTime: 2_000, retries: 10 };

export interface ExactlyOnceOptions {
  kafka: Kafka;
  application: string;
  /** The consumer group whose offsets the transactions commit (the application id). */
  groupId: string;
  /** Broker-side transaction timeout (default 60 s): an open transaction of a dead owner is aborted after it. */
  transactionTimeoutMs?: number;
  /** Retries of CONCURRENT_TRANSACTIONS and other retriable transaction errors (default 10). */
  retries?: number;
}

export class ExactlyOnceTransport implements CommitTransport {
  private readonly producers = new Map<number, Producer>();
  /** Per task, the trace of the transaction under way (command tracing only). */
  private readonly traced = new Map<number, CommitTrace>();

  constructor(private readonly options: ExactlyOnceOptions) {}

  /**
   * Creates the task's producer and fences its previous owners (InitProducerId with the task's
   * transactional id, which also ends their open transaction). Call before restoring the task's
   * stores and before reading its committed offsets: until then a transaction of a crashed owner
   * may still be open, and what it wrote would be invisible now and visible later.
   */
  async openTask(task: number): Promise<void> {
    await this.closeTask(task);
    const producer = this.options.kafka.producer({
      transactionalId: transactionalIdOf(this.options.application, task),
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      transactionTimeout: this.options.transactionTimeoutMs ?? 60_000,
      retry: { ...TRANSACTIONAL_RETRY, retries: this.options.retries ?? TRANSACTIONAL_RETRY.retries },
    });
    if (commandTrace)
      producer.on(producer.events.REQUEST, ({ payload }) => {
        const trace = this.traced.get(task);
        if (!trace) return;
        const r = (trace.requests[payload.apiName] ??= [0, 0, 0]);
        r[0]++;
        r[1] += payload.duration;
        r[2] += payload.pendingDuration;
      });
    try {
      await producer.connect();
      // kafkajs initialises the transactional producer id on the first transaction().
      const tx = await producer.transaction();
      await tx.abort();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    this.producers.set(task, producer);
  }

  async closeTask(task: number): Promise<void> {
    const producer = this.producers.get(task);
    this.producers.delete(task);
    await producer?.disconnect().catch(() => undefined);
  }

  hasTask(task: number): boolean {
    return this.producers.has(task);
  }

  async commit(commits: TaskCommit[], onCommitted?: (index: number) => void): Promise<CommitOutcome[]> {
    // Records sent outside the transactions would be visible even if a transaction aborted.
    if (commits.some((c) => c.sent !== undefined))
      throw new Error('exactly-once: exchange records must go in the task transaction, not as produced');
    return Promise.all(
      commits.map(async (c, i) => {
        const outcome = await this.commitOne(c);
        if (!outcome.failed) onCommitted?.(i);
        return outcome;
      }),
    );
  }

  private async commitOne(c: TaskCommit): Promise<CommitOutcome> {
    const producer = this.producers.get(c.task);
    if (!producer) return failed(new Error(`task ${c.task} has no transactional producer`));
    let tx;
    const trace = c.trace;
    if (trace) this.traced.set(c.task, trace);
    try {
      tx = await producer.transaction();
      if (trace) trace.begun = performance.now();
    } catch (err) {
      await this.closeTask(c.task);
      return failed(err);
    }
    try {
      const now = Date.now();
      const all = commitMessages(c, changelogMessages(c.changelog, now), now);
      const nextOffsets = await sendInChunks((batch) => tx.sendBatch(batch), all);
      if (trace) trace.sent = performance.now();
      if (c.offsets.size > 0) {
        await tx.sendOffsets({
          consumerGroupId: this.options.groupId,
          topics: [...c.offsets].map(([topic, offset]) => ({
            topic,
            partitions: [{ partition: c.task, offset: String(offset) }],
          })),
        });
      }
      if (trace) trace.offsets = performance.now();
      await tx.commit();
      if (trace) {
        trace.ended = performance.now();
        this.traced.delete(c.task);
      }
      return { changelogOffsets: nextOffsets, offsetsCommitted: true };
    } catch (err) {
      // Abort if the producer still can (it may be fenced); the broker aborts it otherwise, at the
      // next owner's InitProducerId or after the transaction timeout.
      if (tx.isActive()) await tx.abort().catch(() => undefined);
      await this.closeTask(c.task);
      return failed(err);
    }
  }

  async close(): Promise<void> {
    for (const task of [...this.producers.keys()]) await this.closeTask(task);
  }
}

function failed(err: unknown): CommitOutcome {
  return { changelogOffsets: new Map(), offsetsCommitted: false, offsetError: err, failed: true };
}
