// Where the local broker's jars, state and logs live: a git-ignored .cache/ next to the project's kafka/ folder.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APICURIO_VERSION, DEBEZIUM_JDBC_VERSION, KAFKA_VERSION } from './versions.ts';

/** The directory holding kafka/pom.xml; found by walking up so the same code works from source and from dist/. */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'kafka', 'pom.xml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (a folder with kafka/pom.xml)');
    dir = parent;
  }
}

export const projectRoot = findProjectRoot();
/** Maven poms, server.properties template and log4j2 config. */
export const kafkaConfigDir = join(projectRoot, 'kafka');

export function cacheRoot(): string {
  return resolve(process.env.STREAMFOLD_CACHE_DIR || join(projectRoot, '.cache'));
}

/** Runtime classpath of the Kafka broker (kafka_2.13 + log4j binding); `java -cp "<dir>/*"`. */
export function kafkaLibDir(): string {
  return join(cacheRoot(), 'kafka', KAFKA_VERSION, 'libs');
}

/** Runtime classpath of Kafka Streams at the broker's version (only after installKafkaStreams()). */
export function kafkaStreamsLibDir(): string {
  return join(cacheRoot(), 'kafka', KAFKA_VERSION, 'streams-libs');
}

/** Kafka Connect's worker classpath at the broker's version (only after installKafkaConnect()). */
export function kafkaConnectLibDir(): string {
  return join(cacheRoot(), 'kafka', KAFKA_VERSION, 'connect-libs');
}

/** Kafka Connect's plugin.path: one folder per plugin (the Debezium JDBC sink connector). */
export function kafkaConnectPluginsDir(): string {
  return join(cacheRoot(), 'kafka', KAFKA_VERSION, 'connect-plugins');
}

export function debeziumJdbcPluginDir(): string {
  return join(kafkaConnectPluginsDir(), `debezium-connector-jdbc-${DEBEZIUM_JDBC_VERSION}`);
}

export function registryAppDir(): string {
  return join(cacheRoot(), 'apicurio', APICURIO_VERSION);
}

/** Data, config, pid file and log of the broker listening on `port`. */
export function brokerStateDir(port: number): string {
  return join(cacheRoot(), 'broker', String(port));
}

export function registryStateDir(port: number): string {
  return join(cacheRoot(), 'registry', String(port));
}
