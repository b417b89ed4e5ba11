// Compiles a benchmark's Java source against the Kafka (Streams) jars the project resolves with Maven, into a
// class directory of this process (concurrent benches never share class files), removed when it exits.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, installKafkaStreams } from '../../runtime/kafka/local-broker/index.ts';

/** Returns the classpath to run the compiled classes with (them, then the Kafka jars). */
export async function compileJavaBench(source: string, name: string): Promise<string> {
  const libs = await installKafkaStreams({ log: () => {} });
  const classes = join(cacheRoot(), 'bench', `${name}-classes-${process.pid}`);
  mkdirSync(classes, { recursive: true });
  process.once('exit', () => rmSync(classes, { recursive: true, force: true }));
  await promisify(execFile)('javac', ['-nowarn', '-cp', join(libs, '*'), '-d', classes, source]);
  return `${classes}:${join(libs, '*')}`;
}
