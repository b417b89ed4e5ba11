// kafkajs' log lines, through the application's logger. kafkajs reports retriable conditions
// (rebalancing, coordinator moves) as errors; they are warnings to us, and its warnings are debug.
// Must not drop or rewrite lines: it only maps levels.
import kafkajs, { type logCreator } from 'kafkajs';
import type { Logger } from '../log/logger.ts';

const { logLevel } = kafkajs;

export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const fields = { kafkajs: extra.logger ?? true, broker: extra.broker, error: extra.error };
      if (level === logLevel.ERROR) logger.warn(fields, `kafkajs: ${message}`);
      else if (level === logLevel.WARN) logger.debug(fields, `kafkajs: ${message}`);
    };
}
