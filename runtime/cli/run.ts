// `streamfold run [-c file] [--brokers list] [--state-dir dir] [HTTP flags]`: runs the projections
// on Kafka until SIGTERM/SIGINT, and serves the query API, the dashboard, GET /versions, /metrics,
// /healthz and /readyz (default 127.0.0.1:8080; --no-http to disable). It runs the deployment
// (docs/versions.md): one application per consumer group, a bumped version built beside the active
// one, queries switched when it caught up. User mistakes (bad config, unreachable
// broker, missing topic) print one line and exit 2; a stop commits and exits 0 within
// STOP_TIMEOUT_MS, else exits 1. `npm start` adds --create-source-topics and --with-generator.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { TopologyError } from '../../projections/operators/types.ts';
import { DeploymentError } from '../../projections/versions/index.ts';
import { describeError, UserError } from '../app/errors.ts';
import { resolveBrokers, resolveStateDir } from '../app/options.ts';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';
import { ensureLocalBroker } from '../kafka/local-broker/index.ts';
import { createLogger } from '../log/logger.ts';
import { createMissingSourceTopics, type SampleGenerator, startSampleGenerator } from '../serve/first-run.ts';
import { resolveAdvertisedHost, resolveHttpSettings } from '../serve/http-options.ts';
import { QueryService } from '../serve/query-service.ts';
import { hasSampleCommands, sendSampleCommands } from '../generator/commands.ts';
import { announce } from '../serve/announce.ts';
import { VersionedRuntime } from '../versions/versioned-runtime.ts';
import { startViews, type ViewsRuntime } from '../views/index.ts';
import { reportWorkerReady, stopWhenOrphaned, WORKER_INDEX_ENV } from '../workers/in-worker.ts';
import type { Definition } from '../../projections/definition/schema.ts';
import type { HttpSettings } from '../http/settings.ts';
import type { Logger } from '../log/logger.ts';
import { runWorkers } from './run-workers.ts';

export const STOP_TIMEOUT_MS = 10_000;

export interface RunOptions {
  config: string;
  brokers?: string;
  stateDir?: string;
  http: boolean;
  httpHost?: string;
  httpPort?: string;
  httpToken?: string;
  httpAdvertisedHost?: string;
  createSourceTopics?: number | true;
  withGenerator?: number | true;
  workers?: number;
}

const SOURCE_TOPIC_PARTITIONS = 3;
export const GENERATOR_RATE = 5;
/** Sample commands per second beside the generated events (runtime/generator/commands.ts). */
const SAMPLE_COMMAND_RATE = 2;

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('give a whole number > 0');
  return n;
}

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('give a number > 0');
  return n;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run the projections on Kafka: consume the sources, keep the state, write the output topics')
    .option('-c, --config <file>', 'the definition file', DEFAULT_CONFIG_FILE)
    .option('--brokers <list>', 'Kafka brokers, host:port,... (default: KAFKA_BROKERS, then kafka.brokers)')
    .option('--state-dir <dir>', 'state root (default: STREAMFOLD_STATE_DIR, then state.dir, then .state)')
    .option(
      '--http-host <host>',
      'HTTP bind address (default: STREAMFOLD_HTTP_HOST, then http.host, then 127.0.0.1)',
    )
    .option(
      '--http-port <port>',
      'HTTP port, 0 = any free one (default: STREAMFOLD_HTTP_PORT, then http.port, then 8080)',
    )
    .option(
      '--http-token <token>',
      'require this bearer token on every endpoint (default: STREAMFOLD_HTTP_TOKEN)',
    )
    .option(
      '--http-advertised-host <host>',
      'host other instances reach this one at (default: STREAMFOLD_HTTP_ADVERTISED_HOST; with a 0.0.0.0 bind, the host name)',
    )
    .option('--no-http', 'serve no HTTP: no queries, dashboard, metrics or health endpoints')
    .option(
      '--create-source-topics [partitions]',
      `create missing source topics (default ${SOURCE_TOPIC_PARTITIONS} partitions); for a first run, never needed in production`,
      positiveInt,
    )
    .option(
      '--with-generator [rate]',
      `also produce the example shop's events in this process (default ${GENERATOR_RATE}/s)`,
      positive,
    )
    .option(
      '--workers <n>',
      'run N worker processes on this host, one HTTP port for all (docs/runtime.md, "Workers")',
      positiveInt,
    )
    .action(async (opts: RunOptions) => {
      const supervise = (opts.workers ?? 1) > 1 && process.env[WORKER_INDEX_ENV] === undefined;
      const code = supervise ? await runWorkers(opts) : await run(opts);
      process.exitCode = code;
      // Clients are closed by now; do not let a straggling handle keep a stopped process alive.
      setTimeout(() => process.exit(code), 1_000).unref();
    });
}

/** What a run and a workers' supervisor both settle first; `code` when that failed (already said). */
export type Prepared =
  | { definition: Definition; brokers: string[]; stateDir: string; httpSettings: HttpSettings | null }
  | { code: number };

/**
 * The definition, the brokers (starting the local one when none is configured), the state root,
 * the HTTP settings and, with --create-source-topics, the source topics.
 */
export async function prepareRun(opts: RunOptions, logger: Logger): Promise<Prepared> {
  const userError = (message: string) => {
    console.error(`streamfold run: ${message}`);
    return { code: 2 };
  };
  let definition;
  try {
    definition = loadConfig(opts.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) console.error(line);
      return { code: 2 };
    }
    return userError(`${opts.config}: ${describeError(err)}`);
  }
  let brokers = resolveBrokers(definition, opts.brokers);
  if (!brokers) {
    try {
      const local = await ensureLocalBroker({ log: (line) => logger.info(line) });
      brokers = local.brokers;
      logger.info(
        { brokers },
        `no broker configured (--brokers, KAFKA_BROKERS, kafka.brokers): using the local broker at ${brokers.join(',')}${local.started ? ', started now; stop it with npm run kafka:stop' : ''}`,
      );
    } catch (err) {
      return userError(`no broker configured and the local broker could not start: ${describeError(err)}`);
    }
  }
  const stateDir = resolveStateDir(definition, opts.stateDir);
  let httpSettings;
  try {
    httpSettings = opts.http ? resolveHttpSettings(definition, opts) : null;
  } catch (err) {
    return userError(describeError(err));
  }
  if (opts.createSourceTopics !== undefined) {
    const partitions = opts.createSourceTopics === true ? SOURCE_TOPIC_PARTITIONS : opts.createSourceTopics;
    try {
      const created = await createMissingSourceTopics(definition, brokers, partitions);
      if (created.length > 0)
        logger.info({ topics: created, partitions }, `created source topics ${created.join(', ')}`);
    } catch (err) {
      return userError(`could not create the source topics: ${describeError(err)}`);
    }
  }
  return { definition, brokers, stateDir, httpSettings };
}

async function run(opts: RunOptions): Promise<number> {
  const logger = createLogger();
  const userError = (message: string) => {
    console.error(`streamfold run: ${message}`);
    return 2;
  };
  const prepared = await prepareRun(opts, logger);
  if ('code' in prepared) return prepared.code;
  const { definition, brokers, stateDir, httpSettings } = prepared;

  // The deployment first (docs/versions.md): which versions run, in which consumer groups.
  const runtime = new VersionedRuntime({
    definition,
    brokers,
    stateDir,
    logger,
    onCommit: (seconds) => service?.commitLatency(seconds),
    onDeadLetter: (kind, topic, stage) => service?.deadLetter(kind, { topic, stage }),
    onCommandOutcome: (command, outcome, seconds) => service?.metrics.command(command, outcome, seconds),
  });
  let service: QueryService | undefined;
  const isKafkaError = (err: unknown) => (err as { name?: string }).name?.startsWith('KafkaJS') === true;
  const unreachable = (err: unknown) =>
    userError(`cannot reach Kafka at ${brokers.join(',')}: ${describeError(err)}`);
  try {
    await runtime.prepare();
  } catch (err) {
    await runtime.stop().catch(() => undefined);
    // A version rule broken by the YAML ("set version: n+1") is the user's to fix, like a bad config.
    if (err instanceof UserError || err instanceof DeploymentError || err instanceof TopologyError)
      return userError(err.message);
    if (isKafkaError(err)) return unreachable(err);
    throw err;
  }

  // Listening next: each group carries this instance's endpoint from its first join.
  if (httpSettings) {
    try {
      service = await QueryService.start({
        runtime,
        brokers,
        settings: httpSettings,
        advertisedHost: resolveAdvertisedHost(httpSettings, opts.httpAdvertisedHost),
        logger,
        definition,
      });
    } catch (err) {
      await runtime.stop().catch(() => undefined);
      if (isKafkaError(err)) return unreachable(err);
      return userError(
        `cannot serve HTTP on ${httpSettings.host}:${httpSettings.port}: ${describeError(err)}`,
      );
    }
  }
  let generator: SampleGenerator | undefined;

  let stopping: Promise<number> | null = null;
  const stop = (why: string, code: number): Promise<number> => {
    if (stopping) return stopping;
    logger.info(`${why}: stopping (committing and closing the stores)`);
    const timer = setTimeout(() => {
      logger.error(`did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting`);
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    timer.unref();
    service?.stopping();
    stopping = (async () => {
      await generator?.stop();
      await views?.stop();
      await runtime.stop();
      await service?.close();
    })().then(
      () => {
        clearTimeout(timer);
        return code;
      },
      (err: unknown) => {
        logger.error({ err: describeError(err) }, 'stop failed');
        return 1;
      },
    );
    return stopping;
  };
  stopWhenOrphaned();
  const signalled = new Promise<number>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.on(sig, () => {
        if (stopping) {
          logger.warn(`${sig} again: exiting now`);
          process.exit(1);
        }
        void stop(sig, 0).then(resolve);
      });
    }
  });

  try {
    await runtime.start(service?.endpoint ?? null, (group, app) => service?.attach(group, app));
  } catch (err) {
    await runtime.stop().catch(() => undefined);
    await service?.close().catch(() => undefined);
    if (err instanceof UserError) return userError(err.message);
    logger.error({ err: describeError(err) }, 'start failed');
    return 1;
  }
  // Views after the projections: their output topics exist now (docs/views.md).
  let views: ViewsRuntime | undefined;
  let viewFailed: (err: Error) => void = () => undefined;
  const viewFailure = new Promise<number>((resolve) => {
    viewFailed = (err) => void stop(`fatal: ${err.message}`, 2).then(resolve);
  });
  try {
    views = await startViews({
      definition,
      brokers,
      runtime,
      logger,
      service,
      onFatal: (err) => viewFailed(err),
    });
  } catch (err) {
    await runtime.stop().catch(() => undefined);
    await service?.close().catch(() => undefined);
    if (err instanceof UserError) return userError(err.message);
    if (isKafkaError(err)) return unreachable(err);
    throw err;
  }
  service?.started();
  logger.info(
    { application: runtime.application, groups: [...runtime.apps.keys()], brokers, stateDir },
    `running ${runtime.application}`,
  );
  if (process.env[WORKER_INDEX_ENV] !== undefined) reportWorkerReady(service?.endpoint ?? null);
  else if (service) announce(service.endpoint, definition, Boolean(httpSettings?.token));
  if (opts.withGenerator !== undefined) {
    try {
      generator = startSampleGenerator(
        definition,
        brokers,
        opts.withGenerator === true ? GENERATOR_RATE : opts.withGenerator,
        logger,
      );
    } catch (err) {
      logger.error({ err: describeError(err) }, 'the sample generator cannot write these sources');
    }
    const executor = runtime.apps.get(runtime.application)?.commands;
    if (executor && hasSampleCommands(executor)) {
      const sending = new AbortController();
      const sent = sendSampleCommands(executor, SAMPLE_COMMAND_RATE, logger, sending.signal);
      const events = generator;
      generator = {
        async stop() {
          sending.abort();
          await Promise.all([sent, events?.stop()]);
        },
      };
      logger.info(`sample generator: ${SAMPLE_COMMAND_RATE} commands/s (openAccount, deposit, withdraw)`);
    }
  }
  const failed = runtime.failed.then((err) => {
    service?.fail(err.message);
    return stop(`fatal: ${err.message}`, 1);
  });
  return Promise.race([signalled, failed, viewFailure]);
}
