// `streamfold run [-c file] [--brokers list] [--state-dir dir]`: runs the projections on Kafka until
// SIGTERM/SIGINT. User mistakes (bad config, unreachable broker, missing topic) print one line and
// exit 2; a stop commits and exits 0 within STOP_TIMEOUT_MS, else exits 1.
import type { Command } from 'commander';
import { Application } from '../app/application.ts';
import { describeError, UserError } from '../app/errors.ts';
import { resolveBrokers, resolveStateDir } from '../app/options.ts';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';
import { ensureLocalBroker } from '../kafka/local-broker/index.ts';
import { createLogger } from '../log/logger.ts';

const STOP_TIMEOUT_MS = 10_000;

interface RunOptions {
  config: string;
  brokers?: string;
  stateDir?: string;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run the projections on Kafka: consume the sources, keep the state, write the output topics')
    .option('-c, --config <file>', 'the definition file', DEFAULT_CONFIG_FILE)
    .option('--brokers <list>', 'Kafka brokers, host:port,... (default: KAFKA_BROKERS, then kafka.brokers)')
    .option('--state-dir <dir>', 'state root (default: STREAMFOLD_STATE_DIR, then state.dir, then .state)')
    .action(async (opts: RunOptions) => {
      const code = await run(opts);
      process.exitCode = code;
      // Clients are closed by now; do not let a straggling handle keep a stopped process alive.
      setTimeout(() => process.exit(code), 1_000).unref();
    });
}

async function run(opts: RunOptions): Promise<number> {
  const logger = createLogger();
  const userError = (message: string) => {
    console.error(`streamfold run: ${message}`);
    return 2;
  };
  let definition;
  try {
    definition = loadConfig(opts.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) console.error(line);
      return 2;
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

  let app: Application;
  try {
    app = new Application({ definition, brokers, stateDir, logger });
  } catch (err) {
    if (err instanceof UserError) return userError(err.message);
    throw err;
  }

  let stopping: Promise<number> | null = null;
  const stop = (why: string, code: number): Promise<number> => {
    if (stopping) return stopping;
    logger.info(`${why}: stopping (committing and closing the stores)`);
    const timer = setTimeout(() => {
      logger.error(`did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting`);
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    timer.unref();
    stopping = app.stop().then(
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
    await app.start();
  } catch (err) {
    await app.stop().catch(() => undefined);
    if (err instanceof UserError) return userError(err.message);
    logger.error({ err: describeError(err) }, 'start failed');
    return 1;
  }
  logger.info({ application: app.application, brokers, stateDir }, `running ${app.application}`);
  const failed = app.failed.then((err) => stop(`fatal: ${err.message}`, 1));
  return Promise.race([signalled, failed]);
}
