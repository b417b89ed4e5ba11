// Restore rate of a changelog-backed store: produce N changelog records to a fresh compacted
// topic, then restore them into an empty LevelDB with the group-less reader. Also measures the
// write-cache commit path (puts → prepareCommit → one LevelDB batch) without Kafka.
//
//   KAFKA_BROKERS=host:port node --import tsx bench/restore/restore.bench.ts [--records 200000] [--keys 50000]
//
// Prints one JSON line per measurement. Not a test: numbers depend on the machine.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { changelogTopic, ensureTopics } from '../../runtime/kafka/admin/index.ts';
import { KafkaChangelogSource, restoreStores } from '../../runtime/kafka/restore/index.ts';
import { TaskStores } from '../../runtime/stores/index.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const { values } = parseArgs({
  options: { records: { type: 'string', default: '200000' }, keys: { type: 'string', default: '50000' } },
});
const records = Number(values.records);
const keys = Number(values.keys);
const row = (i: number) => ({
  balance: i * 1.5,
  deposits: i,
  owner: `owner-${i % 977}`,
  customerId: `c-${i % keys}`,
});
const report = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

const dir = await mkdtemp(join(tmpdir(), 'streamfold-bench-restore-'));
try {
  await commitPath();
  if (process.env.KAFKA_BROKERS) await kafkaRestore(process.env.KAFKA_BROKERS.split(','));
  else report({ skipped: 'kafka restore', reason: 'KAFKA_BROKERS is not set' });
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** Puts through the write cache and commits every 10k updates, as a task would. */
async function commitPath(): Promise<void> {
  const stores = await TaskStores.open({
    location: join(dir, 'commit'),
    changelogOf: (s) => ({ topic: s, partition: 0 }),
  });
  const s = stores.store<ReturnType<typeof row>>('balances');
  const start = performance.now();
  let changelogRecords = 0;
  for (let i = 0; i < records; i++) {
    const key = `acc-${i % keys}`;
    const old = s.get(key);
    s.put(key, { ...row(i), deposits: (old?.deposits ?? 0) + 1 });
    if ((i + 1) % 10_000 === 0 || i === records - 1) {
      const p = stores.prepareCommit();
      changelogRecords += p.records.length;
      await stores.completeCommit(p, new Map([[`balances:0`, changelogRecords]]));
    }
  }
  const ms = performance.now() - start;
  report({
    measurement: 'write-cache updates + commits (no Kafka)',
    updates: records,
    keys,
    changelogRecords,
    ms: Math.round(ms),
    updatesPerSec: Math.round(records / (ms / 1000)),
  });
  await stores.close();
}

async function kafkaRestore(brokers: string[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'streamfold-bench', brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  await Promise.all([admin.connect(), producer.connect()]);
  const app = `bench-${Date.now().toString(36)}`;
  const topic = changelogTopic(`${app}-balances`);
  try {
    await ensureTopics(admin, [{ name: topic, kind: 'changelog', partitions: 1 }]);
    const produceStart = performance.now();
    for (let from = 0; from < records; from += 10_000) {
      const n = Math.min(10_000, records - from);
      const messages = Array.from({ length: n }, (_, j) => ({
        key: `acc-${(from + j) % keys}`,
        value: JSON.stringify(row(from + j)),
        partition: 0,
      }));
      await producer.send({ topic, messages, acks: -1 });
    }
    report({ measurement: 'produce changelog', records, ms: Math.round(performance.now() - produceStart) });

    const stores = await TaskStores.open({
      location: join(dir, 'restore'),
      changelogOf: () => ({ topic, partition: 0 }),
    });
    const source = await KafkaChangelogSource.connect(kafka);
    try {
      const summary = await restoreStores({ stores, names: ['balances'], source });
      report({
        measurement: 'restore from Kafka into LevelDB',
        records: summary.records,
        rows: await stores.countRows('balances'),
        ms: Math.round(summary.ms),
        recordsPerSec: Math.round(summary.records / (summary.ms / 1000)),
      });
    } finally {
      await source.close();
      await stores.close();
    }
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}
