// kafkajs' log lines, through the application's logger. kafkajs reports retriable conditions
// (rebalancing, coordinator moves) as errors; they are warnings to us, and its warnings are debug.
// A broker error that the Kafka protocol marks retriable ("The coordinator is loading", "This server
// does not host this topic-partition" while a new topic's leader is elected) is retried by kafkajs
// itself and needs no action: debug too, so that a healthy start logs no warning.
// Must not drop or rewrite lines: it maps levels and keeps the fields that locate a problem (broker,
// topic, partition: an offset reset moves a partition's position without any other trace).
import kafkajs, { type logCreator } from 'kafkajs';
import { createRequire } from 'node:module';
import type { Logger } from '../log/logger.ts';

const { logLevel } = kafkajs;
const require = createRequire(import.meta.url);

/** The messages of the broker error codes the protocol marks retriable (kafkajs' table of them). */
const RETRIABLE_BROKER_ERRORS: ReadonlySet<string> = (() => {
  try {
    const { errorCodes } = require('kafkajs/src/protocol/error.js') as {
      errorCodes: Array<{ message: string; retriable: boolean }>;
    };
    return new Set(errorCodes.filter((e) => e.retriable).map((e) => e.message));
  } catch {
    return new Set<string>();
  }
})();

export function isRetriableBrokerError(error: unknown): boolean {
  return typeof error === 'string' && RETRIABLE_BROKER_ERRORS.has(error);
}

export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const fields = {
        kafkajs: extra.logger ?? true,
        broker: extra.broker,
        error: extra.error,
        // which partition a consumer error is about (an offset reset names it)
        topic: extra.topic,
        partition: extra.partition,
      };
      if (level === logLevel.ERROR && !isRetriableBrokerError(extra.error))
        logger.warn(fields, `kafkajs: ${message}`);
      else if (level === logLevel.ERROR || level === logLevel.WARN)
        logger.debug(fields, `kafkajs: ${message}`);
    };
}
