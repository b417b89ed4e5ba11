// kafkajs' log lines through our logger: retriable broker errors of a healthy start are debug, other errors
// stay warnings, and an offset reset names its topic and partition so that skipped records can be traced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { isRetriableBrokerError, kafkaLogCreator } from '../../../runtime/app/kafka-log.ts';
import type { Logger } from '../../../runtime/log/logger.ts';

const { logLevel } = kafkajs;

/** What a logger was asked to write, as [level, message] pairs. */
function recordingLogger(): { logger: Logger; lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (_fields: unknown, message: string) => void lines.push([level, message]);
  const logger = {
    warn: at('warn'),
    debug: at('debug'),
    info: at('info'),
    error: at('error'),
  } as unknown as Logger;
  return { logger, lines };
}

function log(level: number, message: string, error?: string) {
  const { logger, lines } = recordingLogger();
  kafkaLogCreator(logger)(logLevel.WARN)({
    namespace: 'Connection',
    level,
    label: 'ERROR',
    log: { timestamp: '', message, logger: 'kafkajs', error },
  });
  return lines;
}

test('retriable broker errors of a healthy start are debug, not warnings', () => {
  for (const error of [
    "The coordinator is loading and hence can't process requests for this group",
    'This server does not host this topic-partition',
    'There is no leader for this topic-partition as we are in the middle of a leadership election',
  ]) {
    assert.equal(isRetriableBrokerError(error), true, error);
    assert.deepEqual(log(logLevel.ERROR, 'Response GroupCoordinator(key: 10, version: 2)', error), [
      ['debug', 'kafkajs: Response GroupCoordinator(key: 10, version: 2)'],
    ]);
  }
});

test('other kafkajs errors are still warnings, and its warnings debug', () => {
  const error = 'Not authorized to access topics: [Topic authorization failed]';
  assert.equal(isRetriableBrokerError(error), false);
  assert.deepEqual(log(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', error), [
    ['warn', 'kafkajs: Response Metadata(key: 3, version: 6)'],
  ]);
  assert.deepEqual(log(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded'), [
    ['warn', 'kafkajs: Crash: KafkaJSNumberOfRetriesExceeded'],
  ]);
  assert.deepEqual(log(logLevel.WARN, 'a warning'), [['debug', 'kafkajs: a warning']]);
});

test('an offset reset names its partition: a reset that skips records can be traced', () => {
  const seen: unknown[] = [];
  const logger = {
    warn: (fields: unknown) => void seen.push(fields),
    debug: () => undefined,
  } as unknown as Logger;
  kafkaLogCreator(logger)(logLevel.WARN)({
    namespace: 'ConsumerGroup',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: {
      timestamp: '',
      message: 'Offset out of range, resetting to default offset',
      logger: 'kafkajs',
      topic: 'account-events',
      partition: 2,
    },
  });
  assert.deepEqual(seen, [
    { kafkajs: 'kafkajs', broker: undefined, error: undefined, topic: 'account-events', partition: 2 },
  ]);
});
