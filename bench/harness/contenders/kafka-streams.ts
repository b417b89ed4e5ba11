// Kafka Streams, the JVM peer: bench/streams/StreamsBench.java compiled with javac against the Kafka Streams
// jars that the project resolves with Maven (same Kafka version as the broker).
import { join } from 'node:path';
import { KAFKA_VERSION } from '../../../runtime/kafka/local-broker/index.ts';
import { compileJavaBench } from '../java-build.ts';
import { spawnMeasured } from '../process.ts';
import { WINDOWS } from '../scenarios.ts';
import { type Contender, eventLine, firstLine, type Launched, type RunRequest } from './contender.ts';

const here = new URL('../../streams/', import.meta.url).pathname;

export const STREAMS_SETTINGS = {
  heap: '-Xms512m -Xmx1g',
  threads: 1,
  commitIntervalMs: 100,
  cacheBytes: 10 * 1024 * 1024,
  lingerMs: 100,
  batchSize: 16_384,
  compression: 'none',
};

/** The report's name of Kafka Streams at its own defaults (commit every 30 s at-least-once). */
export const STREAMS_AT_DEFAULTS = 'Kafka Streams, its defaults';

/**
 * `defaults`: Kafka Streams as a user gets it, nothing set but the guarantee (a user compares
 * defaults); otherwise the settings above, chosen to match streamfold's.
 */
export function kafkaStreams(options: { defaults?: boolean } = {}): Contender {
  let classpath = '';
  const defaults = options.defaults === true;
  return {
    name: defaults ? STREAMS_AT_DEFAULTS : 'Kafka Streams',
    timedFromReady: defaults,
    supports: () => true,
    async prepare() {
      try {
        classpath = await compileJavaBench(join(here, 'StreamsBench.java'), 'streams');
        return undefined;
      } catch (err) {
        return `Kafka Streams peer could not be built: ${(err as Error).message.split('\n')[0]}`;
      }
    },
    launch(req: RunRequest): Launched {
      const args = [
        ...STREAMS_SETTINGS.heap.split(' '),
        `-Dlog4j2.configurationFile=${join(here, 'log4j2.properties')}`,
        '-cp',
        classpath,
        'StreamsBench',
        `scenario=${req.workload}`,
        `bootstrap=${req.brokers.join(',')}`,
        `app=${req.appId}`,
        `state=${req.stateDir}`,
        `guarantee=${req.exactlyOnce ? 'exactly_once_v2' : 'at_least_once'}`,
        `input=${req.inputs.join(',')}`,
        `output=${req.output}`,
        `threads=${STREAMS_SETTINGS.threads}`,
        `commitMs=${STREAMS_SETTINGS.commitIntervalMs}`,
        `cacheBytes=${STREAMS_SETTINGS.cacheBytes}`,
        `lingerMs=${STREAMS_SETTINGS.lingerMs}`,
        `batchSize=${STREAMS_SETTINGS.batchSize}`,
        `compression=${STREAMS_SETTINGS.compression}`,
        `restorePartitions=${req.expectRestore ? req.partitions : 0}`,
        `defaults=${defaults}`,
        `windowSizeMs=${WINDOWS.countSizeMs}`,
        `windowGraceMs=${WINDOWS.countGraceMs}`,
        `joinWithinMs=${WINDOWS.joinWithinMs}`,
        `joinGraceMs=${WINDOWS.joinGraceMs}`,
      ];
      const proc = spawnMeasured('java', args, {
        cwd: req.runDir,
        logFile: join(req.runDir, 'kafka-streams.log'),
      });
      const ready = firstLine(proc, (line) => {
        const e = eventLine(line);
        return e?.event === 'running'
          ? { restoredRecords: Number(e.restoredRecords), restoreMs: Number(e.restoreMs) }
          : undefined;
      });
      return { proc, groupId: req.appId, outputs: [req.output], ready };
    },
    settings: () =>
      defaults
        ? defaultSettings()
        : {
            version: `Kafka Streams ${KAFKA_VERSION} (same jars as the broker's version)`,
            jvm: `${STREAMS_SETTINGS.heap}, default GC`,
            'num.stream.threads': String(STREAMS_SETTINGS.threads),
            'commit.interval.ms': String(STREAMS_SETTINGS.commitIntervalMs),
            'statestore.cache.max.bytes': `${STREAMS_SETTINGS.cacheBytes} (10 MiB: updates collapse per key between commits, like streamfold's per-commit emission)`,
            'processing.guarantee': 'at_least_once, or exactly_once_v2 for the exactly-once row',
            'producer linger.ms / batch.size / compression': `${STREAMS_SETTINGS.lingerMs} / ${STREAMS_SETTINGS.batchSize} / ${STREAMS_SETTINGS.compression} (Kafka Streams defaults)`,
            'consumer max.poll.records': '1000',
            'topology.optimization': 'none (default)',
            'state store': 'RocksDB (default), changelog on',
          },
  };
}

function defaultSettings(): Record<string, string> {
  return {
    version: `Kafka Streams ${KAFKA_VERSION}, nothing set but the guarantee and earliest offsets`,
    jvm: `${STREAMS_SETTINGS.heap}, default GC`,
    'commit.interval.ms': '30000 at-least-once, 100 exactly-once (its defaults)',
    'statestore.cache.max.bytes, threads, producer and consumer': 'its defaults',
  };
}
