// Projection versions from the command line (docs/versions.md):
//   streamfold versions                              every version, its state, group and catch-up
//   streamfold promote <projection> [--version n]    switch queries to a building version (manual mode)
//   streamfold cleanup <projection> --version n      delete a version queries no longer read
// All read and write the `<app>-deployments` topic; running instances follow it within a second.
import type { Command } from 'commander';
import kafkajs, { type Admin } from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import { DeploymentError, promote, versionInputs } from '../../projections/versions/index.ts';
import { describeError, UserError } from '../app/errors.ts';
import { resolveBrokers, resolveStateDir } from '../app/options.ts';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';
import { catchUp } from '../versions/catch-up.ts';
import { cleanupVersion } from '../versions/cleanup.ts';
import { DeploymentsLog } from '../versions/deployments-log.ts';
import { versionLines } from '../versions/version-lines.ts';

interface Common {
  config: string;
  brokers?: string;
  stateDir?: string;
}

const common = (c: Command) =>
  c
    .option('-c, --config <file>', 'the definition file', DEFAULT_CONFIG_FILE)
    .option('--brokers <list>', 'Kafka brokers (default: KAFKA_BROKERS, then kafka.brokers)');

export function register(program: Command): void {
  common(program.command('versions'))
    .description('list the deployed projection versions: state, consumer group, records behind')
    .option('--json', 'print JSON')
    .action(async (opts: Common & { json?: boolean }) => {
      process.exitCode = await withLog('versions', opts, (ctx) => list(ctx, opts.json === true));
    });
  common(program.command('promote'))
    .argument('<projection>')
    .description('switch queries to a building version (default: the newest); the old one is retired')
    .option('--version <n>', 'the version to promote', Number)
    .action(async (projection: string, opts: Common & { version?: number }) => {
      process.exitCode = await withLog('promote', opts, async ({ log }) => {
        const writes = promote(log.all(), projection, opts.version, Date.now());
        await log.write(writes);
        if (writes.length === 0) console.log(`${projection} version ${opts.version} is already active`);
        for (const w of writes) console.log(`${projection} version ${w.version}: ${w.state}`);
      });
    });
  common(program.command('cleanup'))
    .argument('<projection>')
    .description(
      'delete a version that queries no longer read: its topics, its local state; refuses the active one',
    )
    .requiredOption('--version <n>', 'the version to remove', Number)
    .option('--state-dir <dir>', 'state root (default: STREAMFOLD_STATE_DIR, then state.dir, then .state)')
    .option('--force', "skip the check that no instance still runs it (the version's group has no members)")
    .action(async (projection: string, opts: Common & { version: number; force?: boolean }) => {
      process.exitCode = await withLog('cleanup', opts, async ({ admin, log, definition }) => {
        await cleanupVersion({
          admin,
          log,
          application: definition.application,
          stateDir: resolveStateDir(definition, opts.stateDir),
          projection,
          version: opts.version,
          declared: definition.projections[projection]?.version,
          force: opts.force,
          definition,
          say: (line) => console.log(line),
        });
      });
    });
}

interface Ctx {
  admin: Admin;
  log: DeploymentsLog;
  definition: Definition;
}

async function withLog(command: string, opts: Common, body: (ctx: Ctx) => Promise<void>): Promise<number> {
  const fail = (message: string) => {
    console.error(`streamfold ${command}: ${message}`);
    return 2;
  };
  let definition: Definition;
  try {
    definition = loadConfig(opts.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) console.error(line);
      return 2;
    }
    return fail(`${opts.config}: ${describeError(err)}`);
  }
  const brokers = resolveBrokers(definition, opts.brokers);
  if (!brokers) return fail('no broker configured (--brokers, KAFKA_BROKERS or kafka.brokers)');
  const kafka = new kafkajs.Kafka({
    brokers,
    connectionTimeout: 3_000,
    retry: { retries: 2 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    return fail(`cannot reach Kafka at ${brokers.join(',')}: ${describeError(err)}`);
  }
  let log: DeploymentsLog | undefined;
  try {
    log = await DeploymentsLog.open(kafka, admin, definition.application);
    await body({ admin, log, definition });
    return 0;
  } catch (err) {
    if (err instanceof UserError || err instanceof DeploymentError) return fail(err.message);
    throw err;
  } finally {
    await log?.close();
    await admin.disconnect();
  }
}

async function list({ admin, log, definition }: Ctx, json: boolean): Promise<void> {
  const records = log.all().sort((a, b) => a.projection.localeCompare(b.projection) || a.version - b.version);
  const rows = [];
  for (const r of records) {
    const live = r.state === 'building' || r.state === 'active';
    const c = live
      ? await catchUp(admin, r.group, versionInputs(definition.application, records, r.id))
      : undefined;
    rows.push({
      projection: r.projection,
      version: r.version,
      id: r.id,
      state: r.state,
      group: r.group,
      ...(c ?? {}),
    });
  }
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log(`no deployed versions yet (${definition.application} has not run)`);
    return;
  }
  for (const line of versionLines(rows)) console.log(line);
}
