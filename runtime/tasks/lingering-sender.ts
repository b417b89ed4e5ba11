// Records sent as they are produced (at-least-once): the records tasks send to exchange topics
// (repartition topics, join feeds, rejections) go to Kafka in batches while processing goes on, as
// a Kafka producer with linger.ms sends them, instead of waiting for the task's next commit. A
// re-keyed event then waits for one commit interval (its aggregate's), not two.
//
// One batch is in flight at a time, so the records of a partition reach it in the order they were
// sent; records sent meanwhile form the next batch, which goes out as soon as the previous one is
// acknowledged. A batch waits `lingerMs` for company when nothing is in flight.
//
// Owns the batching and the produce calls only. The invariant that a task's offsets are committed
// after the records they caused are acknowledged is the caller's: each send returns its batch's
// acknowledgement, which the task hands to its next commit (task.ts, commit-transport.ts).
import type { Message } from 'kafkajs';
import { sendInChunks, type SendBatch, sizeOf } from './commit-messages.ts';

/**
 * Measurement only (the bench's `streamfold-per-commit`): set to 1, at-least-once holds exchange
 * records until the task's commit again, as before they were sent as produced. Never a setting.
 */
export const EXCHANGES_PER_COMMIT_ENV = 'STREAMFOLD_MEASURE_EXCHANGES_PER_COMMIT';

/** Sends a record soon; resolves once the broker acknowledged it, rejects if the produce failed. */
export interface RecordSender {
  send(topic: string, message: Message): Promise<void>;
  /** Sends the records waiting for their linger now (a commit is being prepared). */
  flush(): void;
}

interface Batch {
  records: Array<{ topic: string; message: Message; size: number }>;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class LingeringSender implements RecordSender {
  /** The batch records are added to (null: none yet). */
  private filling: Batch | null = null;
  private inFlight = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly produce: SendBatch,
    private readonly lingerMs: number,
  ) {}

  send(topic: string, message: Message): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the record sender is closed'));
    const batch = (this.filling ??= newBatch());
    batch.records.push({ topic, message, size: sizeOf(message) });
    if (!this.inFlight && !this.timer) this.timer = setTimeout(() => this.dispatch(), this.lingerMs);
    return batch.done;
  }

  flush(): void {
    // With a batch in flight, the waiting one goes out when it is acknowledged.
    if (!this.inFlight) this.dispatch();
  }

  /** Stops sending: records not yet sent are dropped (their batch rejects; no commit covers them). */
  close(): void {
    this.closed = true;
    this.clearTimer();
    this.filling?.reject(new Error('the record sender closed before sending'));
    this.filling = null;
  }

  private dispatch(): void {
    this.clearTimer();
    const batch = this.filling;
    if (!batch || this.inFlight || this.closed) return;
    this.filling = null;
    this.inFlight = true;
    sendInChunks(this.produce, batch.records).then(
      () => this.sent(batch, undefined),
      (err: unknown) => this.sent(batch, err ?? new Error('produce failed')),
    );
  }

  private sent(batch: Batch, err: unknown): void {
    this.inFlight = false;
    if (err === undefined) batch.resolve();
    else batch.reject(err);
    // The records sent meanwhile have waited for a whole produce already.
    if (this.filling) this.dispatch();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Awaited by the commit that covers the batch's records; a batch whose task rolled back has none.
  done.catch(() => undefined);
  return { records: [], done, resolve, reject };
}
