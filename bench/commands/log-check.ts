// The exactly-once check of the commands benchmark, after the timed runs: the entity topic read
// from offset 0 with read_committed must hold exactly one event per accepted command (event id
// `<command id>-1`), at most one per command whose answer was lost or pending (202), and no other.
import { Kafka, logLevel } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

export async function checkExactlyOnce(
  brokers: string[],
  topic: string,
  acceptedIds: ReadonlySet<string>,
  unknownIds: ReadonlySet<string> = new Set(),
): Promise<{ ok: boolean; detail: string }> {
  const kafka = new Kafka({ clientId: 'bench-commands-check', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const reached = new Map<number, number>();
  const seen = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `bench-commands-check-${Date.now()}`, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    reached.set(
      payload.partition,
      Math.max(reached.get(payload.partition) ?? -1, Number(payload.lastOffset)),
    ),
  );
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const id = (JSON.parse(message.value!.toString()) as { eventId: string }).eventId;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    },
  });
  const deadline = Date.now() + 120_000;
  // The last offset of a transactional partition is a commit marker: reached when the batch ends there.
  while ([...ends].some(([p, end]) => end > 0 && (reached.get(p) ?? -1) + 2 < end) && Date.now() < deadline)
    await sleep(100);
  await sleep(500);
  await consumer.disconnect();
  const twice = [...seen].filter(([, n]) => n > 1).length;
  const missing = [...acceptedIds].filter((id) => seen.get(`${id}-1`) !== 1).length;
  const commandOf = (e: string) => e.slice(0, e.lastIndexOf('-'));
  const stray = [...seen.keys()].filter(
    (e) => !acceptedIds.has(commandOf(e)) && !unknownIds.has(commandOf(e)),
  ).length;
  const unknownIn = [...seen.keys()].filter((e) => unknownIds.has(commandOf(e))).length;
  const detail = `${seen.size} events for ${acceptedIds.size} accepted commands: ${missing} missing, ${twice} appended twice, ${stray} of no accepted command (${unknownIn} of the ${unknownIds.size} commands answered 202 or not at all are in the log, once)`;
  return { ok: missing === 0 && twice === 0 && stray === 0, detail };
}
