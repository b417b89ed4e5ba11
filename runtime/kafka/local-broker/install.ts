// Resolves jars from Maven Central with `mvn` into .cache/. Each result directory is built under a temporary
// name and renamed into place when complete, so an interrupted or concurrent install never leaves half a
// classpath behind; a finished directory is reused without running Maven again.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  debeziumJdbcPluginDir,
  kafkaConfigDir,
  kafkaConnectLibDir,
  kafkaLibDir,
  kafkaStreamsLibDir,
  registryAppDir,
} from './paths.ts';
import { APICURIO_VERSION, DEBEZIUM_JDBC_VERSION, KAFKA_VERSION } from './versions.ts';

const COMPLETE_MARKER = '.complete';

export interface InstallOptions {
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** The broker's classpath directory, resolving it first if needed. */
export function installKafka(opts: InstallOptions = {}): Promise<string> {
  return installDir(
    kafkaLibDir(),
    'pom.xml',
    'lib.dir',
    `Kafka ${KAFKA_VERSION} broker jars`,
    opts,
    (files) => files.includes(`kafka_2.13-${KAFKA_VERSION}.jar`),
  );
}

/** Kafka Streams' classpath directory (same Kafka version), for the JVM peer benchmark. */
export function installKafkaStreams(opts: InstallOptions = {}): Promise<string> {
  return installDir(
    kafkaStreamsLibDir(),
    'streams.pom.xml',
    'lib.dir',
    `Kafka Streams ${KAFKA_VERSION} jars`,
    opts,
    (files) => files.includes(`kafka-streams-${KAFKA_VERSION}.jar`),
  );
}

/**
 * Kafka Connect (standalone worker, same Kafka version) and the Debezium JDBC sink connector as its plugin,
 * for the views benchmark: the worker's classpath and the plugin's folder (under Connect's plugin.path).
 */
export async function installKafkaConnect(
  opts: InstallOptions = {},
): Promise<{ libs: string; plugin: string }> {
  const libs = await installDir(
    kafkaConnectLibDir(),
    'connect.pom.xml',
    'lib.dir',
    `Kafka Connect ${KAFKA_VERSION} jars`,
    opts,
    (files) => files.includes(`connect-runtime-${KAFKA_VERSION}.jar`),
  );
  const plugin = await installDir(
    debeziumJdbcPluginDir(),
    'connect-jdbc.pom.xml',
    'lib.dir',
    `Debezium JDBC sink connector ${DEBEZIUM_JDBC_VERSION}`,
    opts,
    (files) => files.includes(`debezium-connector-jdbc-${DEBEZIUM_JDBC_VERSION}.jar`),
  );
  return { libs, plugin };
}

/** The unpacked Apicurio Registry distribution directory. */
export function installRegistry(opts: InstallOptions = {}): Promise<string> {
  return installDir(
    registryAppDir(),
    'registry.pom.xml',
    'app.dir',
    `Apicurio Registry ${APICURIO_VERSION}`,
    opts,
    (files) => files.some((f) => f.endsWith('-runner.jar')),
  );
}

export function isInstalled(dir: string): boolean {
  return existsSync(join(dir, COMPLETE_MARKER));
}

async function installDir(
  target: string,
  pom: string,
  outputProperty: string,
  what: string,
  opts: InstallOptions,
  looksComplete: (files: string[]) => boolean,
): Promise<string> {
  if (isInstalled(target)) return target;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  log(`resolving ${what} with Maven into ${target}`);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await runMaven([
      '-B',
      '-q',
      '-Dstyle.color=never',
      '-f',
      join(kafkaConfigDir, pom),
      'package',
      `-Dkafka.version=${KAFKA_VERSION}`,
      `-Dapicurio.version=${APICURIO_VERSION}`,
      `-Ddebezium.version=${DEBEZIUM_JDBC_VERSION}`,
      `-D${outputProperty}=${tmp}`,
    ]);
    if (!looksComplete(readdirSync(tmp)))
      throw new Error(`Maven finished but ${tmp} lacks the expected files`);
    writeFileSync(join(tmp, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    if (isInstalled(target)) return target; // a concurrent install finished first
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    return target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function runMaven(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new Error(
              'Maven (`mvn`) is needed to download the Kafka jars from Maven Central; install Maven 3.8+',
            )
          : err,
      );
    });
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`mvn ${args.join(' ')} failed (exit ${code}):\n${output.trim()}`));
    });
  });
}
