// The ceiling of the commands benchmark: raw kafkajs transactional appends of the same events to a
// topic like the entity topic, by the same number of closed-loop clients, with no HTTP, no state and
// no rules. Two writers:
//
// - `per-append`: what a naive writer does. Every client has its own transactional producer and
//   appends each event in a transaction of its own: transaction() → send(1 record, acks=all) →
//   commit(), then the next event.
// - `group-commit`: what streamfold's commit loop does, without its work. One transactional
//   producer per partition; a client's event joins its partition's queue, and the partition's
//   writer appends everything queued in one transaction (send, commit) and starts the next as soon
//   as that one committed. A client is answered when the transaction carrying its event committed.
//
// Latency = append asked → its transaction committed.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { partitionOfKey } from '../../runtime/http/partitioner.ts';
import { encodeKey } from '../../projections/keys.ts';
import { TRANSACTIONAL_RETRY } from '../../runtime/tasks/exactly-once-transport.ts';

export type CeilingWriter = 'per-append' | 'group-commit';

export interface CeilingOptions {
  brokers: string[];
  topic: string;
  partitions: number;
  clients: number;
  durationMs: number;
  writer: CeilingWriter;
  /** Transactional ids start with this (unique per run). */
  tag: string;
  /** The event of client c's n-th append. */
  next: (client: number, n: number) => { key: string; value: Record<string, unknown> };
}

export interface CeilingResult {
  appended: number;
  latenciesMs: number[];
  elapsedMs: number;
}

export async function runCeiling(o: CeilingOptions): Promise<CeilingResult> {
  const kafka = new Kafka({ clientId: 'bench-ceiling', brokers: o.brokers, logLevel: logLevel.NOTHING });
  const count = o.writer === 'per-append' ? o.clients : o.partitions;
  const producers: Producer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const p = kafka.producer({
        transactionalId: `${o.tag}-${o.writer}-${i}`,
        idempotent: true,
        maxInFlightRequests: 1,
        // streamfold's transactional retries (kafkajs' default first wait is 300 ms, see there)
        retry: TRANSACTIONAL_RETRY,
      });
      await p.connect();
      producers.push(p);
    }
    const result: CeilingResult = { appended: 0, latenciesMs: [], elapsedMs: 0 };
    const append =
      o.writer === 'per-append' ? perAppend(o.topic, producers) : groupCommit(o.topic, producers);
    const started = performance.now();
    const stopAt = started + o.durationMs;
    const client = async (c: number) => {
      for (let n = 0; performance.now() < stopAt; n++) {
        const { key, value } = o.next(c, n);
        const partition = partitionOfKey(encodeKey(key), o.partitions);
        const t0 = performance.now();
        await append(c, partition, { key, value: JSON.stringify(value), partition });
        result.latenciesMs.push(performance.now() - t0);
        result.appended++;
      }
    };
    await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
    result.elapsedMs = performance.now() - started;
    return result;
  } finally {
    for (const p of producers) await p.disconnect().catch(() => undefined);
  }
}

interface Message {
  key: string;
  value: string;
  partition: number;
}

type Append = (client: number, partition: number, m: Message) => Promise<void>;

function perAppend(topic: string, producers: Producer[]): Append {
  return async (client, _partition, m) => {
    const tx = await producers[client]!.transaction();
    await tx.send({ topic, acks: -1, messages: [m] });
    await tx.commit();
  };
}

function groupCommit(topic: string, producers: Producer[]): Append {
  const queues = producers.map(
    () => [] as Array<{ m: Message; done: () => void; fail: (e: unknown) => void }>,
  );
  const busy = producers.map(() => false);
  const drain = async (p: number) => {
    busy[p] = true;
    while (queues[p]!.length > 0) {
      const batch = queues[p]!.splice(0);
      try {
        const tx = await producers[p]!.transaction();
        await tx.send({ topic, acks: -1, messages: batch.map((b) => b.m) });
        await tx.commit();
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.fail(err);
      }
    }
    busy[p] = false;
  };
  return (_client, partition, m) =>
    new Promise<void>((done, fail) => {
      queues[partition]!.push({ m, done, fail });
      if (!busy[partition]) void drain(partition);
    });
}
