// After a timed run (never inside it): read the output topic from the beginning, read_committed, and compare
// the final value of every key with the expected table (a Map, or for millions of keys dense totals).
import type { Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { ExpectedTotals } from './datasets.ts';

const IDLE_MS = 2_000;

type Verdict = { ok: boolean; detail: string };

export async function verifyOutput(
  kafka: Kafka,
  topic: string,
  expected: Map<string, unknown>,
  timeoutMs: number,
  exactlyOnce: boolean,
): Promise<Verdict> {
  const table = new Map<string, unknown>();
  await readOutput(kafka, topic, timeoutMs, exactlyOnce, (key, value) => {
    if (value === null) table.delete(key);
    else table.set(key, JSON.parse(value));
  });
  let wrong = 0;
  let example = '';
  for (const [key, want] of expected) {
    const got = table.get(key);
    if (!isDeepStrictEqual(got, want)) {
      wrong++;
      if (!example) example = `${key}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`;
    }
  }
  const extra = [...table.keys()].filter((k) => !expected.has(k)).length;
  return verdict(wrong, expected.size, extra, example);
}

/**
 * The same check against `{"total": N}` per key held densely (8 bytes per key, plus one per key for
 * "seen"): the output's final values are written into an array by key index, not into a Map.
 */
export async function verifyTotals(
  kafka: Kafka,
  topic: string,
  expected: ExpectedTotals,
  timeoutMs: number,
  exactlyOnce: boolean,
): Promise<Verdict> {
  const size = expected.totals.length;
  const got = new Float64Array(size);
  const present = new Uint8Array(size);
  const extra = new Set<string>();
  await readOutput(kafka, topic, timeoutMs, exactlyOnce, (key, value) => {
    const i = expected.indexOf(key);
    if (i < 0) {
      if (value === null) extra.delete(key);
      else extra.add(key);
    } else if (value === null) present[i] = 0;
    else {
      const total = (JSON.parse(value) as { total?: unknown }).total;
      // a value of another shape never equals a number: NaN marks it wrong
      got[i] = typeof total === 'number' ? total : Number.NaN;
      present[i] = 1;
    }
  });
  let wrong = 0;
  let example = '';
  for (let i = 0; i < size; i++) {
    if (present[i] === 1 && got[i] === expected.totals[i]) continue;
    wrong++;
    if (!example)
      example = `key #${i}: got ${present[i] ? `{"total":${got[i]}}` : 'nothing'}, want {"total":${expected.totals[i]}}`;
  }
  return verdict(wrong, size, extra.size, example);
}

function verdict(wrong: number, size: number, extra: number, example: string): Verdict {
  if (wrong === 0 && extra === 0) return { ok: true, detail: `${size} keys correct` };
  return {
    ok: false,
    detail: `${wrong} of ${size} keys wrong or missing, ${extra} unexpected${example ? `; e.g. ${example}` : ''}`,
  };
}

/** Calls `onRecord` with every record of `topic` (value null for a tombstone) until each partition's end. */
async function readOutput(
  kafka: Kafka,
  topic: string,
  timeoutMs: number,
  exactlyOnce: boolean,
  onRecord: (key: string, value: string | null) => void,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const endOf = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const remaining = new Set(ends.filter((p) => Number(p.high) > 0).map((p) => p.partition));
  // under exactly-once the last offset of a partition is the commit marker of its last transaction
  const lastRecord = (partition: number) => (endOf.get(partition) ?? 0) - (exactlyOnce ? 2 : 1);
  const consumer = kafka.consumer({ groupId: `bench-verify-${topic}-${Date.now()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let lastMessageAt = Date.now();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) onRecord(m.key?.toString() ?? '', m.value?.toString() ?? null);
      lastMessageAt = Date.now();
      if (Number(batch.lastOffset()) >= lastRecord(batch.partition)) remaining.delete(batch.partition);
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (remaining.size > 0 && Date.now() < deadline && Date.now() - lastMessageAt < IDLE_MS * 5)
    await sleep(100);
  await consumer.disconnect();
}
