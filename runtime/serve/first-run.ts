// Conveniences for a first run on a laptop (`npm start`), never implicit in production:
// creating missing source topics (`--create-source-topics`) and producing the example shop's
// events in the same process (`--with-generator`).
import kafkajs from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import { ensureSourceTopics, produceShopEvents, resolveShopTopics } from '../generator/index.ts';
import type { Logger } from '../log/logger.ts';

/** Creates the definition's source topics that do not exist yet; returns their names. */
export async function createMissingSourceTopics(
  definition: Definition,
  brokers: string[],
  partitions: number,
): Promise<string[]> {
  const kafka = new kafkajs.Kafka({
    clientId: `${definition.application}-setup`,
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
  });
  // Returns once the created topics are served by their leaders (createTopicsAwaitingLeaders).
  return ensureSourceTopics(
    kafka,
    Object.values(definition.sources).map((s) => s.topic),
    partitions,
  );
}

export interface SampleGenerator {
  /** Stops producing and waits for the last batch. */
  stop(): Promise<void>;
}

/** Produces the example shop's events at `rate` per second until stopped. */
export function startSampleGenerator(
  definition: Definition,
  brokers: string[],
  rate: number,
  logger: Logger,
): SampleGenerator {
  const abort = new AbortController();
  const seed = Date.now() % 2 ** 31;
  const done = produceShopEvents({
    brokers,
    seed,
    rate,
    topics: resolveShopTopics(definition),
    logger,
    signal: abort.signal,
  }).then(
    (r) => logger.info({ produced: r.produced }, 'sample generator stopped'),
    (err: unknown) =>
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'sample generator failed'),
  );
  logger.info({ rate, seed }, `sample generator: ${rate} shop events/s`);
  return {
    async stop() {
      abort.abort();
      await done;
    },
  };
}
