// What `streamfold dlq list` and `dlq replay` do, as functions (the CLI only parses options).
import type { Kafka } from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import type { DeadLetterKind } from './classify.ts';
import { readTopicToEnd } from './read-topic.ts';
import { type DeadLetter, parseDeadLetter } from './record.ts';
import { deadLetterTopics } from './topic.ts';

/** Every dead letter of the application, oldest failure first. */
export async function readDeadLetters(kafka: Kafka, def: Definition): Promise<DeadLetter[]> {
  const all: DeadLetter[] = [];
  for (const topic of deadLetterTopics(def)) {
    for (const r of await readTopicToEnd(kafka, topic)) {
      const dl = parseDeadLetter({ topic, partition: r.partition, offset: r.offset }, r.message);
      if (dl) all.push(dl);
    }
  }
  return all.sort((a, b) => a.time - b.time);
}

export interface ReplayFilter {
  /** Only dead letters that failed at or after this time (ms). */
  since?: number;
  kind?: DeadLetterKind;
}

export function selectDeadLetters(all: readonly DeadLetter[], f: ReplayFilter): DeadLetter[] {
  return all.filter(
    (d) => (f.since === undefined || d.time >= f.since) && (f.kind === undefined || d.kind === f.kind),
  );
}

/**
 * Re-produces each dead letter's original record (key, value, headers) to its source topic. The
 * records get new offsets; with eventId deduplication a record replayed twice counts once.
 * Timestamps are the time of the replay unless `originalTimestamps`: a topic's time retention
 * deletes records whose timestamps are older than retention.ms, so replaying old records with their
 * old timestamps into a quiet topic can lose them before the application reads them.
 */
export async function replayDeadLetters(
  kafka: Kafka,
  letters: readonly DeadLetter[],
  opts: { originalTimestamps?: boolean } = {},
): Promise<Map<string, number>> {
  const byTopic = new Map<string, DeadLetter[]>();
  for (const d of letters) byTopic.set(d.source.topic, [...(byTopic.get(d.source.topic) ?? []), d]);
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const [topic, list] of byTopic) {
      await producer.send({
        topic,
        messages: list.map((d) => ({
          key: d.key,
          value: d.value,
          headers: d.headers,
          timestamp: opts.originalTimestamps ? String(d.source.timestamp) : undefined,
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  return new Map([...byTopic].map(([t, l]) => [t, l.length]));
}

const show = (b: Buffer | null): string => {
  if (b === null) return 'null';
  const text = b.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text)
    ? JSON.stringify(text)
    : `0x${b.subarray(0, 16).toString('hex')}${b.length > 16 ? '…' : ''}`;
};

/** One line per dead letter: time, kind, origin, projection, key, message. */
export function formatDeadLetter(d: DeadLetter): string {
  const origin = `${d.source.topic}/${d.source.partition}@${d.source.offset}`;
  return `${new Date(d.time).toISOString()}  ${d.kind.padEnd(11)}  ${origin}  ${d.projection ?? '-'}  key=${show(d.key)}  ${d.message}`;
}
