// The machine and versions a report was taken on.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { KAFKA_VERSION } from '../../runtime/kafka/local-broker/index.ts';
import { benchNodeVersion } from './node.ts';

export function describeMachine(): Record<string, string> {
  let javaLine = 'unknown';
  try {
    // java -version writes to stderr
    javaLine = execFileSync('sh', ['-c', 'java -version 2>&1 | sed -n 1p'], { encoding: 'utf8' }).trim();
  } catch {
    // no java: the Kafka Streams row will say so
  }
  const cpu = cpus();
  return {
    cores: `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    'load average at start (1/5/15 min)': loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
    node: nodeLine(),
    java: javaLine,
    'Kafka broker': `${KAFKA_VERSION} (single local KRaft node, fresh data directory, its own port)`,
    kafkajs: '2.2.4',
  };
}

/** The Node of the measured processes and the harness's own (a bench without streamfold may lack the first). */
function nodeLine(): string {
  try {
    return `${benchNodeVersion()} (streamfold, raw kafkajs; the harness ${process.version})`;
  } catch (err) {
    return `${process.version} (the harness; streamfold's Node: ${(err as Error).message.split('\n')[0]})`;
  }
}
