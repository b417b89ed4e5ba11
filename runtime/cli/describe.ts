// `streamfold describe [-c file] [--brokers list]`: the topology (sources → operators → stores →
// topics). With a reachable broker, partition counts and the task count too; without one, the
// topology alone (describe never starts the local broker).
import { runtimeDefinition } from '../commands/index.ts';
import type { Command } from 'commander';
import kafkajs from 'kafkajs';
import { compileTopology } from '../../projections/graph/compile.ts';
import { describeTopology } from '../../projections/graph/describe.ts';
import { TopologyError } from '../../projections/operators/types.ts';
import { describeError } from '../app/errors.ts';
import { resolveBrokers } from '../app/options.ts';
import { planTopics } from '../app/topic-plan.ts';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';

export function register(program: Command): void {
  program
    .command('describe')
    .description(
      'print the topology: sources → operators → stores → topics (with partition counts when a broker answers)',
    )
    .option('-c, --config <file>', 'the definition file', DEFAULT_CONFIG_FILE)
    .option('--brokers <list>', 'Kafka brokers (default: KAFKA_BROKERS, then kafka.brokers)')
    .action(async (opts: { config: string; brokers?: string }) => {
      process.exitCode = await describe(opts);
    });
}

async function describe(opts: { config: string; brokers?: string }): Promise<number> {
  let topology;
  let definition;
  try {
    definition = loadConfig(opts.config);
    topology = compileTopology(runtimeDefinition(definition));
  } catch (err) {
    if (err instanceof ConfigError) for (const line of err.lines) console.error(line);
    else if (err instanceof TopologyError) console.error(`${opts.config}: ${err.message}`);
    else throw err;
    return 2;
  }
  const brokers = resolveBrokers(definition, opts.brokers);
  let partitions: Map<string, number> | undefined;
  let note = 'no broker configured: partition counts unknown';
  if (brokers) {
    const kafka = new kafkajs.Kafka({
      brokers,
      connectionTimeout: 2_000,
      retry: { retries: 0 },
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const names = new Set<string>([
        ...topology.sources.map((s) => s.topic),
        ...topology.subTopologies.flatMap((s) => s.inputs.map((i) => i.topic)),
        ...topology.projections.flatMap((p) => (p.topic ? [p.topic] : [])),
        ...topology.exchanges.map((x) => x.topic),
        ...topology.subTopologies.flatMap((s) => s.stores.map((st) => `${st.name}-changelog`)),
      ]);
      const present = [...names].filter((t) => existing.has(t));
      const { topics } =
        present.length > 0 ? await admin.fetchTopicMetadata({ topics: present }) : { topics: [] };
      partitions = new Map(topics.map((t) => [t.name, t.partitions.length]));
      const sourceCounts = new Map(
        topology.sources.flatMap((s) =>
          partitions!.has(s.topic) ? [[s.topic, partitions!.get(s.topic)!] as const] : [],
        ),
      );
      const missing = topology.sources.filter((s) => !existing.has(s.topic)).map((s) => s.topic);
      note = `${planTopics(topology, sourceCounts).taskCount} tasks (one per partition number of the widest source)`;
      if (missing.length > 0) note += `; missing source topics: ${missing.join(', ')}`;
    } catch (err) {
      note = `broker ${brokers.join(',')} not reachable (${describeError(err)}): partition counts unknown`;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  process.stdout.write(describeTopology(topology, partitions));
  process.stdout.write(`\n${note}\n`);
  return 0;
}
