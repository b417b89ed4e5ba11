// The JVM reference beside the kafkajs ceiling: JavaTransactionalCeiling.java, the group-commit writer of
// ceiling.ts written with Apache Kafka's own Java producer (the broker's version, which speaks the newest
// transaction protocol the broker offers). It tells what the broker and the machine allow apart from what
// kafkajs allows. Compiled once per process against the Kafka jars the project resolves with Maven.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { compileJavaBench } from '../harness/java-build.ts';

const source = new URL('./JavaTransactionalCeiling.java', import.meta.url).pathname;

export interface JavaCeilingResult {
  appended: number;
  failed: number;
  seconds: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
}

let classpath: Promise<string> | undefined;

export async function runJavaCeiling(o: {
  brokers: string[];
  topic: string;
  partitions: number;
  clients: number;
  durationMs: number;
  tag: string;
}): Promise<JavaCeilingResult> {
  const cp = await (classpath ??= compileJavaBench(source, 'java-ceiling'));
  const { stdout } = await promisify(execFile)(
    'java',
    [
      '-Xmx512m',
      '-cp',
      cp,
      'JavaTransactionalCeiling',
      `bootstrap=${o.brokers.join(',')}`,
      `topic=${o.topic}`,
      `partitions=${o.partitions}`,
      `clients=${o.clients}`,
      `seconds=${o.durationMs / 1000}`,
      `tag=${o.tag}`,
    ],
    { timeout: o.durationMs + 120_000, maxBuffer: 4 * 2 ** 20 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('{"event":"java-ceiling"'));
  if (!line) throw new Error(`JavaTransactionalCeiling printed no result: ${stdout.slice(-300)}`);
  return JSON.parse(line) as JavaCeilingResult;
}
