// (e)'s input: records sent at a fixed rate, each stamped (CreateTime) with the moment it is handed to the
// producer, so that an output record's timestamp says when the newest input behind it was sent.
import { CompressionTypes, type Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TopicInput } from './datasets.ts';

type Producer = ReturnType<Kafka['producer']>;

/** How often the due records are sent: at 5000/s, ~25 records per send. */
export const TICK_MS = 5;
/**
 * Records per send at most: after a stall of the event loop (a loaded machine) the due records are
 * sent in several requests, each under the broker's message.max.bytes (1 MiB; orders are ~200 bytes).
 */
const MAX_RECORDS_PER_SEND = 2_000;
/** Sends not yet acknowledged before the pacer waits (a slow broker must not queue up unbounded sends). */
const MAX_IN_FLIGHT = 50;

const toMessages = (input: TopicInput, from: number, to: number, now: number) => {
  const messages = [];
  for (let i = from; i < to; i++) {
    const r = input.record(i);
    messages.push({ key: r.key, value: r.value, timestamp: String(now) });
  }
  return messages;
};

const send = (producer: Producer, topic: string, messages: ReturnType<typeof toMessages>) =>
  producer.send({ topic, messages, acks: 1, compression: CompressionTypes.None });

/** Records [from, to) at once, stamped now (the warm-up). */
export async function sendNow(
  producer: Producer,
  topic: string,
  input: TopicInput,
  from: number,
  to: number,
): Promise<void> {
  await send(producer, topic, toMessages(input, from, to, Date.now()));
}

export interface PacedStats {
  records: number;
  /** first send → last acknowledgement */
  ms: number;
}

/** Records [from, to) at `perSecond`, every record stamped when it is sent. */
export async function producePaced(
  producer: Producer,
  topic: string,
  input: TopicInput,
  from: number,
  to: number,
  perSecond: number,
): Promise<PacedStats> {
  const start = Date.now();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let next = from;
  while (next < to && failure === undefined) {
    const due = Math.min(
      to,
      next + MAX_RECORDS_PER_SEND,
      from + Math.floor(((Date.now() - start) * perSecond) / 1000) + 1,
    );
    if (due > next) {
      const p: Promise<void> = send(producer, topic, toMessages(input, next, due, Date.now()))
        .then(
          () => undefined,
          (err: unknown) => void (failure ??= err),
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      next = due;
      if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    }
    await sleep(TICK_MS);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
  return { records: to - from, ms: Date.now() - start };
}
