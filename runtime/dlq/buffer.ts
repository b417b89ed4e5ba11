// Collects dead letters while a task processes its batch (the poison hook is synchronous and must
// not throw) and sends them at commit. Ordering is the guarantee: dead letters are sent BEFORE the
// consumed offsets are committed (at-least-once: a crash in between re-processes the records and
// may write a dead letter twice, never lose one), or inside the commit's transaction
// (exactly-once: `flush(transaction)`), so a dead letter exists exactly when its offset is consumed.
import type { Definition } from '../../projections/definition/schema.ts';
import { classifyError, type DeadLetterKind, kindOfPoison } from './classify.ts';
import {
  deadLetterFromPoison,
  type DeadLetterMessage,
  deadLetterRecord,
  type OriginRecord,
  type PoisonLike,
} from './record.ts';
import { deadLetterTopicForTopic } from './topic.ts';

/** A kafkajs producer or transaction: both have sendBatch. */
export interface BatchSender {
  sendBatch(batch: { topicMessages: { topic: string; messages: DeadLetterMessage[] }[] }): Promise<unknown>;
}

export class DeadLetterBuffer {
  private pending = new Map<string, DeadLetterMessage[]>();
  /** Dead letters per kind since start (sent or pending): what status pages and metrics show. */
  readonly counts = new Map<DeadLetterKind, number>();
  total = 0;

  constructor(
    private readonly def: Definition,
    private readonly now: () => number = Date.now,
  ) {}

  /** A record that failed with `err` (classified by classifyError). */
  add(origin: OriginRecord, err: unknown, projection?: string): void {
    this.push(
      origin.topic,
      classifyError(err),
      deadLetterRecord(origin, err, { projection, now: this.now() }),
    );
  }

  /** A record the runtime's poison hook reported (runtime/formats PoisonRecord). */
  addPoison(poison: PoisonLike, projection?: string): void {
    this.push(
      poison.raw.topic,
      kindOfPoison(poison.kind),
      deadLetterFromPoison(poison, { projection, now: this.now() }),
    );
  }

  get pendingCount(): number {
    let n = 0;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }

  /** Sends what is pending; on failure keeps it pending (the caller must not commit offsets then). */
  async flush(sender: BatchSender): Promise<number> {
    if (this.pending.size === 0) return 0;
    const topicMessages = [...this.pending].map(([topic, messages]) => ({ topic, messages }));
    await sender.sendBatch({ topicMessages });
    const sent = this.pendingCount;
    this.pending = new Map();
    return sent;
  }

  /** Drops what is pending: the transaction it was sent in aborted, and the records will be re-read. */
  discard(): void {
    this.pending = new Map();
  }

  private push(sourceTopic: string, kind: DeadLetterKind, message: DeadLetterMessage): void {
    const topic = deadLetterTopicForTopic(this.def, sourceTopic);
    const list = this.pending.get(topic) ?? [];
    list.push(message);
    this.pending.set(topic, list);
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.total++;
  }
}
