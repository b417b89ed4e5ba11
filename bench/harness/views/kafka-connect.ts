// Scenario (h), the JVM alternative: Kafka Connect (standalone worker, the broker's Kafka version) with the
// Debezium JDBC sink connector in upsert mode, into the same PostgreSQL database. Its jars come from Maven
// Central (`npm run connect:install`, resolved here when missing). Ready when the sink task's consumer group
// is stable with a member (it then reads the topic from its start). At least once: Connect commits the
// consumer offsets after the rows, so a crash in between writes some rows again (idempotent upserts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import {
  DEBEZIUM_JDBC_VERSION,
  installKafkaConnect,
  KAFKA_VERSION,
  kafkaConnectPluginsDir,
} from '../../../runtime/kafka/local-broker/index.ts';
import { freePort } from '../../../scripts/free-port.ts';
import { spawnMeasured } from '../process.ts';
import type { LaunchedSink, Sink, SinkRequest } from './sink.ts';

const here = new URL('../../connect/', import.meta.url).pathname;

/** Upserts per statement and records per poll: streamfold writes up to 1000 keys per statement. */
const BATCH = 1000;

export const CONNECT_NAME = 'Kafka Connect + Debezium JDBC sink';

export function kafkaConnect(kafka: Kafka): Sink {
  let libs = '';
  let restPort = 0;
  return {
    id: 'connect',
    name: CONNECT_NAME,
    encoding: 'connect-json',
    async prepare() {
      try {
        libs = (await installKafkaConnect({ log: (line) => process.stdout.write(`[bench] ${line}\n`) })).libs;
        restPort = await freePort();
        return undefined;
      } catch (err) {
        return `Kafka Connect could not be installed (${(err as Error).message.split('\n')[0]})`;
      }
    },
    launch(req: SinkRequest): LaunchedSink {
      const jdbc = new URL(req.postgresUrl.replace(/^postgres(ql)?:/, 'http:'));
      const table = req.name.replace(/[^a-z0-9_]/g, '_');
      const worker = join(req.runDir, 'worker.properties');
      const connector = join(req.runDir, 'connector.properties');
      writeFileSync(
        worker,
        properties({
          'bootstrap.servers': req.brokers.join(','),
          'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'true',
          'offset.storage.file.filename': join(req.runDir, 'offsets'),
          'plugin.path': kafkaConnectPluginsDir(),
          'plugin.discovery': 'service_load',
          listeners: `http://127.0.0.1:${restPort}`,
          'consumer.max.poll.records': String(BATCH),
        }),
      );
      writeFileSync(
        connector,
        properties({
          name: req.name,
          'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
          'tasks.max': '1',
          topics: req.topic,
          'connection.url': `jdbc:postgresql://${jdbc.host}${jdbc.pathname}`,
          'connection.username': decodeURIComponent(jdbc.username),
          'connection.password': decodeURIComponent(jdbc.password),
          'insert.mode': 'upsert',
          'primary.key.mode': 'record_key',
          'primary.key.fields': 'customer_id',
          'schema.evolution': 'basic',
          'collection.name.format': table,
          'delete.enabled': 'true',
          'use.reduction.buffer': 'true',
          'batch.size': String(BATCH),
          // the Kafka key is the plain customer id; the sink wants a struct key
          transforms: 'key',
          'transforms.key.type': 'org.apache.kafka.connect.transforms.HoistField$Key',
          'transforms.key.field': 'customer_id',
        }),
      );
      const proc = spawnMeasured(
        'java',
        [
          '-Xms512m',
          '-Xmx1g',
          `-Dlog4j2.configurationFile=${join(here, 'log4j2.properties')}`,
          '-cp',
          `${libs}/*`,
          'org.apache.kafka.connect.cli.ConnectStandalone',
          worker,
          connector,
        ],
        { cwd: req.runDir, logFile: join(req.runDir, 'connect.log') },
      );
      const admin = kafka.admin();
      return {
        proc,
        table,
        ready: async () => {
          await admin.connect();
          const { groups } = await admin.describeGroups([`connect-${req.name}`]);
          const group = groups[0];
          const joined = group?.state === 'Stable' && group.members.length > 0;
          if (joined) await admin.disconnect();
          return joined;
        },
      };
    },
    settings: () => ({
      version: `connect-runtime ${KAFKA_VERSION} (the broker's version), debezium-connector-jdbc ${DEBEZIUM_JDBC_VERSION}, PostgreSQL JDBC driver 42.7.14`,
      process: 'one JVM, `ConnectStandalone` (-Xms512m -Xmx1g), `tasks.max=1`',
      batching: `\`consumer.max.poll.records=${BATCH}\`, \`batch.size=${BATCH}\`, \`use.reduction.buffer=true\` (the last value per key of each batch, as streamfold collapses a fetch)`,
      mode: '`insert.mode=upsert`, `primary.key.mode=record_key` (the string key hoisted into a struct by `HoistField$Key`), `schema.evolution=basic` (creates the table), `delete.enabled=true`',
      guarantee: 'at least once (consumer offsets committed after the rows)',
      input:
        'the same updates in the JSON Connect reads with `schemas.enable=true`: `{"schema":{…int64 total…},"payload":{"total":N}}` (the Debezium sink needs a schema)',
    }),
  };
}

const properties = (entries: Record<string, string>) =>
  `${Object.entries(entries)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
