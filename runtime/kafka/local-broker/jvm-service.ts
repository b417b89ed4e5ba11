// The start-up flow the local JVM services share (the Kafka broker, the schema registry):
// - a pid file names an instance that may still be starting (another process launched it): wait
//   for it to serve rather than start a second one;
// - a port that already serves the right protocol is used as it is (not ours to stop);
// - otherwise launch the JVM and wait until it serves; if it exits or times out, stop it and
//   report with the last lines of its log.
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DetachedProcess, runningPid, stopPidFile, tailFile, terminate } from './jvm-process.ts';
import { portOpen } from './probe.ts';
import { LOCAL_HOST } from './versions.ts';

/** A local service failed to start or is not usable; `logTail` is the end of its log, if any. */
export class LocalServiceError extends Error {
  constructor(
    message: string,
    readonly logFile: string,
    readonly logTail: string,
  ) {
    super(message);
  }
}

export interface JvmServiceSpec {
  /** What it is, for messages: "Kafka broker". */
  what: string;
  /** Where it serves, for messages. */
  address: string;
  port: number;
  pidFile: string;
  /** Text on the JVM's command line that proves a pid is this service (pids get recycled). */
  marker: string;
  logFile: string;
  timeoutMs: number;
  stopGraceMs: number;
  /** Whether the port answers the service's protocol. */
  serves(): Promise<boolean>;
  /** Checks, writes config, spawns the JVM: called only when nothing serves the port. */
  launch(): Promise<DetachedProcess>;
}

export interface JvmService {
  /** True when this call launched it; false when it was already up. */
  started: boolean;
  pid: number | undefined;
  /** Stops the service if this call launched it; a no-op otherwise (someone else owns it). */
  stop(): Promise<void>;
}

export async function ensureJvmService(spec: JvmServiceSpec): Promise<JvmService> {
  const notOurs = (pid: number | undefined): JvmService => ({ started: false, pid, stop: async () => {} });

  const existing = runningPid(spec.pidFile, spec.marker);
  if (existing !== undefined) {
    const running = () => runningPid(spec.pidFile, spec.marker) !== undefined;
    if ((await waitUntilServing(spec, running)) === 'ready') return notOurs(existing);
    throw new LocalServiceError(
      `${spec.what} pid ${existing} does not answer on ${spec.address}`,
      spec.logFile,
      tailFile(spec.logFile),
    );
  }
  if (await portOpen(LOCAL_HOST, spec.port)) {
    if (await spec.serves()) return notOurs(undefined);
    throw new LocalServiceError(
      `port ${spec.port} is in use by something that is not a ${spec.what}`,
      spec.logFile,
      '',
    );
  }

  const proc = await spec.launch();
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  const outcome = await waitUntilServing(spec, () => !exited && proc.pid > 0);
  if (outcome === 'ready') {
    return {
      started: true,
      pid: proc.pid,
      stop: async () => {
        await stopPidFile(spec.pidFile, spec.marker, spec.stopGraceMs);
      },
    };
  }
  if (proc.pid > 0) await terminate(proc.pid, 2_000);
  rmSync(spec.pidFile, { force: true });
  throw new LocalServiceError(
    outcome === 'exited'
      ? `${spec.what} exited while starting on ${spec.address}`
      : `${spec.what} did not serve requests on ${spec.address} within ${spec.timeoutMs} ms`,
    spec.logFile,
    tailFile(spec.logFile),
  );
}

async function waitUntilServing(
  spec: JvmServiceSpec,
  running: () => boolean,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + spec.timeoutMs;
  while (Date.now() < deadline) {
    if (!running()) return 'exited';
    if ((await portOpen(LOCAL_HOST, spec.port)) && (await spec.serves())) return 'ready';
    await sleep(250);
  }
  return 'timeout';
}
