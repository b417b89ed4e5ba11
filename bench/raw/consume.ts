// The raw ceiling: a kafkajs consumer that only reads and JSON-decodes the given topics, committing its
// offsets every 100 ms (streamfold's commit interval) so that the harness sees its progress the same way as
// every other contender's. No state, no output: nothing a stream processor on kafkajs could do is faster.
//
//   node --import tsx bench/raw/consume.ts <brokers> <groupId> <topic> [<topic>...]
import { Kafka, logLevel } from 'kafkajs';

const [brokers, groupId, ...topics] = process.argv.slice(2);
if (!brokers || !groupId || topics.length === 0) {
  process.stderr.write('usage: consume.ts <brokers> <groupId> <topic> [<topic>...]\n');
  process.exit(2);
}
const COMMIT_INTERVAL_MS = 100;

const kafka = new Kafka({ clientId: 'bench-raw', brokers: brokers.split(','), logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId, readUncommitted: false });
const pending = new Map<string, { topic: string; partition: number; offset: string }>();
let decoded = 0;
let fields = 0;

await consumer.connect();
await consumer.subscribe({ topics, fromBeginning: true });
consumer.on(consumer.events.GROUP_JOIN, () => {
  process.stdout.write(`${JSON.stringify({ event: 'running', t: Date.now() })}\n`);
});

const commit = async () => {
  if (pending.size === 0) return;
  const offsets = [...pending.values()];
  pending.clear();
  await consumer.commitOffsets(offsets);
};
const timer = setInterval(() => void commit().catch(() => {}), COMMIT_INTERVAL_MS);

await consumer.run({
  autoCommit: false,
  eachBatch: async ({ batch }) => {
    for (const m of batch.messages) {
      if (m.value) {
        // count the fields so the decode cannot be optimised away
        fields += Object.keys(JSON.parse(m.value.toString()) as object).length;
        decoded++;
      }
    }
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    pending.set(`${batch.topic}/${batch.partition}`, {
      topic: batch.topic,
      partition: batch.partition,
      offset: next,
    });
  },
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    clearInterval(timer);
    void (async () => {
      await commit().catch(() => {});
      await consumer.disconnect().catch(() => {});
      process.stdout.write(`${JSON.stringify({ event: 'stopped', decoded, fields })}\n`);
      process.exit(0);
    })();
  });
}
