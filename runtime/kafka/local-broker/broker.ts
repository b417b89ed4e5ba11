// One local Kafka broker (KRaft, combined broker+controller) started from the Maven-resolved jars.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installKafka } from './install.ts';
import { javaExecutable, runningPid, spawnDetachedJava, stopPidFile } from './jvm-process.ts';
import { ensureJvmService, type JvmService, LocalServiceError } from './jvm-service.ts';
import { brokerStateDir, kafkaConfigDir } from './paths.ts';
import { kafkaAnswers, portOpen } from './probe.ts';
import { newClusterId, renderServerProperties } from './server-config.ts';
import { DEFAULT_KAFKA_PORT, LOCAL_HOST } from './versions.ts';

export interface LocalBrokerOptions {
  /** Client port; default $STREAMFOLD_KAFKA_PORT or 39092. */
  port?: number;
  /** Controller (KRaft quorum) port; default $STREAMFOLD_KAFKA_CONTROLLER_PORT or port + 1. */
  controllerPort?: number;
  /** Data, config, pid and log; default .cache/broker/<port>. */
  stateDir?: string;
  /** Wipe the broker's data before starting (ignored when it is already running). */
  fresh?: boolean;
  startTimeoutMs?: number;
  /** JVM heap, e.g. '768m'. */
  heap?: string;
  log?: (line: string) => void;
}

export interface LocalBroker extends JvmService {
  brokers: string[];
  logFile: string;
}

const STOP_GRACE_MS = 15_000;

interface Layout {
  port: number;
  controllerPort: number;
  stateDir: string;
  configFile: string;
  dataDir: string;
  pidFile: string;
  logFile: string;
  brokers: string[];
}

function layout(opts: LocalBrokerOptions): Layout {
  const port = opts.port ?? envPort('STREAMFOLD_KAFKA_PORT') ?? DEFAULT_KAFKA_PORT;
  const controllerPort = opts.controllerPort ?? envPort('STREAMFOLD_KAFKA_CONTROLLER_PORT') ?? port + 1;
  const stateDir = opts.stateDir ?? brokerStateDir(port);
  return {
    port,
    controllerPort,
    stateDir,
    configFile: join(stateDir, 'server.properties'),
    dataDir: join(stateDir, 'data'),
    pidFile: join(stateDir, 'broker.pid'),
    logFile: join(stateDir, 'broker.log'),
    brokers: [`${LOCAL_HOST}:${port}`],
  };
}

function envPort(name: string): number | undefined {
  const raw = process.env[name];
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`${name}=${raw} is not a port`);
  return port;
}

/** Starts the local broker unless it is already up; resolves once it serves requests. */
export async function ensureLocalBroker(opts: LocalBrokerOptions = {}): Promise<LocalBroker> {
  const l = layout(opts);
  const log = opts.log ?? (() => {});
  const service = await ensureJvmService({
    what: 'Kafka broker',
    address: l.brokers[0]!,
    port: l.port,
    pidFile: l.pidFile,
    marker: l.configFile,
    logFile: l.logFile,
    timeoutMs: opts.startTimeoutMs ?? 90_000,
    stopGraceMs: STOP_GRACE_MS,
    serves: () => kafkaAnswers(l.brokers),
    launch: async () => {
      if (await portOpen(LOCAL_HOST, l.controllerPort)) {
        throw new LocalServiceError(`controller port ${l.controllerPort} is already in use`, l.logFile, '');
      }
      const libDir = await installKafka(opts.log ? { log: opts.log } : {});
      if (opts.fresh) rmSync(l.stateDir, { recursive: true, force: true });
      mkdirSync(l.stateDir, { recursive: true });
      writeFileSync(
        l.configFile,
        renderServerProperties({
          host: LOCAL_HOST,
          port: l.port,
          controllerPort: l.controllerPort,
          dataDir: l.dataDir,
        }),
      );
      rmSync(l.logFile, { force: true });
      const classpath = join(libDir, '*');
      const log4j = `-Dlog4j2.configurationFile=${join(kafkaConfigDir, 'log4j2.properties')}`;
      if (!existsSync(join(l.dataDir, 'meta.properties'))) await formatStorage(classpath, log4j, l);
      log(`starting Kafka broker on ${l.brokers[0]} (log: ${l.logFile})`);
      return spawnDetachedJava(
        [
          `-Xms256m`,
          `-Xmx${opts.heap ?? '768m'}`,
          // the JVM flags of kafka-server-start.sh
          '-server',
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-XX:InitiatingHeapOccupancyPercent=35',
          '-XX:+ExplicitGCInvokesConcurrent',
          '-XX:MaxInlineLevel=15',
          '-Djava.awt.headless=true',
          `-Dkafka.logs.dir=${join(l.stateDir, 'logs')}`,
          log4j,
          '-cp',
          classpath,
          'kafka.Kafka',
          l.configFile,
        ],
        { cwd: l.stateDir, logFile: l.logFile, pidFile: l.pidFile },
      );
    },
  });
  return { brokers: l.brokers, logFile: l.logFile, ...service };
}

/** Stops the local broker recorded in its state dir (SIGTERM, then SIGKILL). False if none was running. */
export function stopLocalBroker(
  opts: Pick<LocalBrokerOptions, 'port' | 'controllerPort' | 'stateDir'> = {},
): Promise<boolean> {
  const l = layout(opts);
  return stopPidFile(l.pidFile, l.configFile, STOP_GRACE_MS);
}

/** Whether the local broker (by its pid file) is running, and where. */
export function localBrokerStatus(opts: Pick<LocalBrokerOptions, 'port' | 'stateDir'> = {}) {
  const l = layout(opts);
  return {
    pid: runningPid(l.pidFile, l.configFile),
    brokers: l.brokers,
    logFile: l.logFile,
    stateDir: l.stateDir,
  };
}

async function formatStorage(classpath: string, log4j: string, l: Layout): Promise<void> {
  // Static quorum (controller.quorum.voters) => format without --standalone.
  const args = ['-Xmx256m', log4j, '-cp', classpath, 'kafka.tools.StorageTool', 'format'];
  args.push('-t', newClusterId(randomBytes), '-c', l.configFile, '--ignore-formatted');
  try {
    await promisify(execFile)(javaExecutable(), args, { cwd: l.stateDir });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
    writeFileSync(l.logFile, `${output}\n`, { flag: 'a' });
    throw new LocalServiceError(`formatting Kafka storage failed: ${e.message}`, l.logFile, output);
  }
}
