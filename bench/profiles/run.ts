// Profiling driver for issue 8: scenario (a) group-by-sum at a smaller size, streamfold only, one
// process under `node --cpu-prof`, timed with the harness's completion rule. Reuses the input topic
// across runs (produced once), so each run measures processing alone.
//
//   node --import tsx bench/profiles/run.ts --events 300000 [--prof DIR] [--eos] [--brokers host:port]
//   then: node bench/profiles/summarize.mjs DIR/*.cpuprofile
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { stringify } from 'yaml';
import { definitionFor } from '../harness/contenders/streamfold.ts';
import { groupBySumDataset } from '../harness/datasets.ts';
import { produceDataset } from '../harness/produce.ts';
import { watchUntilDone } from '../harness/progress.ts';
import { spawnMeasured } from '../harness/process.ts';
import { PARTITIONS, SEED } from '../harness/scenarios.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '300000' },
    prof: { type: 'string' },
    eos: { type: 'boolean', default: false },
    brokers: { type: 'string' },
    work: { type: 'string', default: '.cache/profiles' },
    'metrics-port': { type: 'string', default: '18089' },
  },
});
const events = Number(values.events);
const brokers = (values.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const root = new URL('../../', import.meta.url).pathname;
const kafka = new kafkajs.Kafka({
  brokers,
  logLevel: kafkajs.logLevel.NOTHING,
  clientId: 'streamfold-profile',
});
const admin = kafka.admin();
await admin.connect();

const input = `profile-a-${events}`;
if (!(await admin.listTopics()).includes(input)) {
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: PARTITIONS }] });
  const stats = await produceDataset(kafka, groupBySumDataset(input, events, 20_000, SEED));
  process.stdout.write(`produced ${stats.records} records in ${(stats.ms / 1000).toFixed(1)} s\n`);
}
const tag = Date.now().toString(36);
const output = `profile-a-out-${tag}`;
await admin.createTopics({
  waitForLeaders: true,
  topics: [
    {
      topic: output,
      numPartitions: PARTITIONS,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
  ],
});

const runDir = join(root, values.work, tag);
mkdirSync(runDir, { recursive: true });
const req = {
  workload: 'groupby' as const,
  exactlyOnce: values.eos,
  appId: `profile_a_${tag}`,
  brokers,
  inputs: [input],
  output,
  stateDir: join(runDir, 'state'),
  runDir,
  partitions: PARTITIONS,
  expectRestore: false,
};
const config = join(runDir, 'projections.yaml');
writeFileSync(config, stringify(definitionFor(req)));
const nodeArgs = values.prof ? ['--cpu-prof', `--cpu-prof-dir=${values.prof}`] : [];
const proc = spawnMeasured(
  process.execPath,
  [...nodeArgs, join(root, 'bin', 'streamfold.js'), 'run', '-c', config],
  {
    cwd: root,
    env: { STREAMFOLD_HTTP_PORT: values['metrics-port'] },
    logFile: join(runDir, 'streamfold.log'),
  },
);
const result = await watchUntilDone(admin, {
  groupId: req.appId,
  sources: [input],
  outputs: [output],
  exactlyOnce: values.eos,
  spawnedAt: proc.spawnedAt,
  timeoutMs: 600_000,
  exited: () => proc.hasExited(),
});
// The commit figures of the run (count and total seconds), from its /metrics.
const metrics = await fetch(`http://127.0.0.1:${values['metrics-port']}/metrics`)
  .then((r) => r.text())
  .catch(() => '');
for (const line of metrics.split('\n'))
  if (/^streamfold_commit\w*(_sum|_count|_total)\b/.test(line)) process.stdout.write(`${line}\n`);
await proc.stop(20_000);
const seconds = (result.doneAt - result.startedAt) / 1000;
process.stdout.write(
  `${result.status}: ${events} events in ${seconds.toFixed(1)} s = ${Math.round(events / seconds)} events/s, ` +
    `peak RSS ${proc.peakRssMiB().toFixed(0)} MiB ${result.detail}\n`,
);
await admin.deleteTopics({ topics: [output] }).catch(() => undefined);
await admin.disconnect();
rmSync(req.stateDir, { recursive: true, force: true });
