// An idempotent producer that is replaced after any failed send. kafkajs 2.2.4 numbers the batches of
// an idempotent producer per partition and, when a produce request fails, takes back the numbers of
// every partition in it, also of those the broker had written (a request rejected for one partition,
// a timeout after the write). The broker then takes the next batch to such a partition, with a
// number it has seen, for a retry of the written one: it acknowledges it and does not write it. That
// loses records silently (test/integration/kafka/producer-sequences.test.ts shows it).
//
// A new producer gets a new producer id from the broker and numbers from zero, as the Java client
// bumps its epoch when sequences are in doubt. Owns the current producer and the replacement; what a
// failed send means for the records (roll back, re-read) stays the caller's.
import type { Producer, ProducerBatch, RecordMetadata } from 'kafkajs';

interface Generation {
  producer: Producer;
  /** Sends not settled yet: a replaced producer is disconnected once they are. */
  sends: Set<Promise<unknown>>;
}

export class RenewingProducer {
  private current: Generation;
  /** A send of the current producer failed: the next send replaces it first. */
  private broken = false;
  private renewal: Promise<void> | null = null;
  private readonly retired = new Set<Promise<void>>();
  /** How many times the producer was replaced (for logs and tests). */
  renewals = 0;

  constructor(private readonly make: () => Producer) {
    this.current = { producer: make(), sends: new Set() };
  }

  connect(): Promise<void> {
    return this.current.producer.connect();
  }

  /** Same contract as kafkajs' `sendBatch`; a rejection marks the producer for replacement. */
  readonly sendBatch = async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
    if (this.broken) await (this.renewal ??= this.renew().finally(() => (this.renewal = null)));
    const generation = this.current;
    const send = generation.producer.sendBatch(batch);
    generation.sends.add(send);
    try {
      return await send;
    } catch (err) {
      if (generation === this.current) this.broken = true;
      throw err;
    } finally {
      generation.sends.delete(send);
    }
  };

  async disconnect(): Promise<void> {
    await this.current.producer.disconnect().catch(() => undefined);
    await Promise.all(this.retired);
  }

  private async renew(): Promise<void> {
    const next: Generation = { producer: this.make(), sends: new Set() };
    try {
      await next.producer.connect();
    } catch (err) {
      // The broken one stays in place: this send fails, and the next one tries again.
      await next.producer.disconnect().catch(() => undefined);
      throw err;
    }
    const old = this.current;
    this.current = next;
    this.broken = false;
    this.renewals++;
    // Sends still in flight on the old producer finish on it (their commit decides what they mean).
    const retiring = Promise.allSettled([...old.sends])
      .then(() => old.producer.disconnect())
      .catch(() => undefined)
      .finally(() => this.retired.delete(retiring));
    this.retired.add(retiring);
  }
}
