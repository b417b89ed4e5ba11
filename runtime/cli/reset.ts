// `streamfold reset <projection> | --all [-c file] [--brokers list] [--state-dir dir]`: deletes the
// projection's internal and output topics and local state and rewinds its inputs, so the next
// `streamfold run` rebuilds it from the sources (runtime/app/reset.ts has the rules). Refuses while
// any instance of the application runs.
import { hasCommands, outcomeStoreName, runtimeDefinition } from '../commands/index.ts';
import { changelogTopic } from '../kafka/admin/index.ts';
import { join } from 'node:path';
import type { Command } from 'commander';
import kafkajs from 'kafkajs';
import { compileTopology } from '../../projections/graph/compile.ts';
import { TopologyError } from '../../projections/operators/types.ts';
import { describeError, UserError } from '../app/errors.ts';
import { resolveBrokers, resolveStateDir } from '../app/options.ts';
import { applyReset, resetPlan } from '../app/reset.ts';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';

interface ResetOptions {
  config: string;
  all?: boolean;
  brokers?: string;
  stateDir?: string;
}

export function register(program: Command): void {
  program
    .command('reset')
    .argument('[projection]', 'the projection to rebuild')
    .description("delete a projection's topics and state and rewind its inputs, so it rebuilds (or --all)")
    .option('--all', 'reset the whole application')
    .option('-c, --config <file>', 'the definition file', DEFAULT_CONFIG_FILE)
    .option('--brokers <list>', 'Kafka brokers (default: KAFKA_BROKERS, then kafka.brokers)')
    .option('--state-dir <dir>', 'state root (default: STREAMFOLD_STATE_DIR, then state.dir, then .state)')
    .action(async (projection: string | undefined, opts: ResetOptions) => {
      process.exitCode = await reset(projection, opts);
    });
}

async function reset(projection: string | undefined, opts: ResetOptions): Promise<number> {
  const fail = (message: string) => {
    console.error(`streamfold reset: ${message}`);
    return 2;
  };
  if (!projection === !opts.all) return fail('name one projection, or give --all');
  let definition;
  let topology;
  try {
    definition = loadConfig(opts.config);
    topology = compileTopology(runtimeDefinition(definition));
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) console.error(line);
      return 2;
    }
    if (err instanceof TopologyError) return fail(err.message);
    throw err;
  }
  const brokers = resolveBrokers(definition, opts.brokers);
  if (!brokers) return fail('no broker configured (--brokers, KAFKA_BROKERS or kafka.brokers)');
  const appStateDir = join(resolveStateDir(definition, opts.stateDir), definition.application);
  const kafka = new kafkajs.Kafka({
    brokers,
    connectionTimeout: 3_000,
    retry: { retries: 2 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    const plan = resetPlan(topology, opts.all ? null : projection!);
    // The command outcomes (and their read-back marks) go with the state they describe.
    if (opts.all && hasCommands(definition))
      plan.deleteTopics.push(changelogTopic(outcomeStoreName(definition.application)));
    try {
      await admin.connect();
    } catch (err) {
      return fail(`cannot reach Kafka at ${brokers.join(',')}: ${describeError(err)}`);
    }
    await applyReset(admin, topology, plan, appStateDir, (line) => console.log(line));
    console.log(
      opts.all
        ? `reset ${definition.application}`
        : `reset ${projection}: it rebuilds at the next streamfold run`,
    );
    return 0;
  } catch (err) {
    if (err instanceof UserError) return fail(err.message);
    return fail(describeError(err));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
