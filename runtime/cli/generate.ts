// `streamfold generate`: produces the example shop's events (accounts, customers, orders) to the
// definition's source topics, so a fresh runtime has something to project and to query.
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';
import { produceShopEvents, resolveShopTopics } from '../generator/index.ts';
import { DEFAULT_KAFKA_PORT, LOCAL_HOST } from '../kafka/local-broker/versions.ts';
import { createLogger } from '../log/logger.ts';

interface GenerateOptions {
  config: string;
  rate: number;
  count?: number;
  seed?: string;
  brokers?: string;
  partitions: number;
  population: number;
}

/** `50`, `50/s`: events per second; 0 = as fast as possible. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/s)?\s*$/.exec(text);
  if (!m) throw new InvalidArgumentError('give events per second, e.g. 50 or 50/s (0: as fast as possible)');
  return Number(m[1]);
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('give a whole number >= 1');
  return n;
}

function splitBrokers(value: string | string[] | undefined): string[] {
  const list = Array.isArray(value) ? value : (value ?? '').split(',');
  return list.map((b) => b.trim()).filter(Boolean);
}

/**
 * --brokers, else KAFKA_BROKERS, else the definition's kafka.brokers (the order `streamfold run`
 * uses), else the local development broker that `streamfold run` starts when none is configured.
 */
export function resolveBrokers(
  flag: string | undefined,
  fromConfig: string | string[] | undefined,
): string[] {
  for (const candidate of [flag, process.env.KAFKA_BROKERS, fromConfig]) {
    const list = splitBrokers(candidate);
    if (list.length > 0) return list;
  }
  return [`${LOCAL_HOST}:${Number(process.env.STREAMFOLD_KAFKA_PORT) || DEFAULT_KAFKA_PORT}`];
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('produce sample shop events (accounts, customers, orders) to the source topics')
    .option('-c, --config <file>', 'the definition whose source topics to write', DEFAULT_CONFIG_FILE)
    .option('--rate <n/s>', 'events per second; 0: as fast as possible (needs --count)', parseRate, 50)
    .option('--count <n>', 'stop after n events (default: run until interrupted)', positiveInt)
    .option('--seed <s>', 'seed of the simulation: the same seed gives the same events (default: random)')
    .option(
      '--brokers <list>',
      'comma-separated bootstrap brokers (default: KAFKA_BROKERS, then kafka.brokers)',
    )
    .option('--partitions <n>', 'partitions of the topics it creates', positiveInt, 3)
    .option('--population <n>', 'live customers, accounts and orders to hover around', positiveInt, 200)
    .action(async (opts: GenerateOptions, command: Command) => {
      const logger = createLogger();
      // The default file may be absent (e.g. a bare container): then the default topics are used.
      const configGiven = command.getOptionValueSource('config') !== 'default';
      let definition;
      try {
        if (configGiven || existsSync(opts.config)) definition = loadConfig(opts.config);
      } catch (err) {
        for (const line of err instanceof ConfigError ? err.lines : [String(err)]) console.error(line);
        process.exitCode = 2;
        return;
      }
      if (opts.rate === 0 && opts.count === undefined) {
        console.error('--rate 0 (as fast as possible) needs --count');
        process.exitCode = 2;
        return;
      }
      const seed = opts.seed ?? String(randomInt(1, 2 ** 31));
      const brokers = resolveBrokers(opts.brokers, definition?.kafka?.brokers);
      const topics = resolveShopTopics(definition);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      logger.info(
        { brokers, topics, seed, rate: opts.rate, count: opts.count ?? 'unlimited' },
        `generating shop events (seed ${seed}; --seed ${seed} repeats them)`,
      );
      let lastLog = Date.now();
      try {
        const result = await produceShopEvents({
          brokers,
          seed,
          topics,
          rate: opts.rate,
          count: opts.count,
          partitions: opts.partitions,
          population: opts.population,
          logger,
          signal: abort.signal,
          onBatch: (produced) => {
            if (Date.now() - lastLog < 10_000) return;
            lastLog = Date.now();
            logger.info({ produced }, 'producing');
          },
        });
        logger.info({ produced: result.produced, byTopic: result.byTopic }, 'done');
      } catch (err) {
        logger.error({ err }, `generate failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        logger.flush();
      }
    });
}
