// A local Apicurio Registry (Confluent-compatible API) from the Maven-resolved distribution.
// Storage is Apicurio's default in-memory database: schemas live as long as the process.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { installRegistry } from './install.ts';
import { isAlive, runningPid, spawnDetachedJava, stopPidFile, tailFile, terminate } from './jvm-process.ts';
import { registryStateDir } from './paths.ts';
import { portOpen } from './probe.ts';
import { DEFAULT_REGISTRY_PORT, LOCAL_HOST } from './versions.ts';

export interface LocalRegistryOptions {
  /** HTTP port; default $STREAMFOLD_REGISTRY_PORT or 39081. */
  port?: number;
  stateDir?: string;
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface LocalRegistry {
  /** Confluent-compatible base URL, the `host` of @kafkajs/confluent-schema-registry. */
  url: string;
  started: boolean;
  pid: number | undefined;
  logFile: string;
  /** Stops the registry if this call started it; a no-op otherwise. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;

function layout(opts: LocalRegistryOptions) {
  const raw = process.env.STREAMFOLD_REGISTRY_PORT;
  const port = opts.port ?? (raw ? Number(raw) : DEFAULT_REGISTRY_PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`registry port ${port} is not a port`);
  const stateDir = opts.stateDir ?? registryStateDir(port);
  return {
    port,
    stateDir,
    url: `http://${LOCAL_HOST}:${port}/apis/ccompat/v7`,
    pidFile: join(stateDir, 'registry.pid'),
    logFile: join(stateDir, 'registry.log'),
    // Put on the JVM command line so the pid file can be checked against the right process.
    marker: `-Dstreamfold.state=${stateDir}`,
  };
}

export async function ensureLocalRegistry(opts: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const l = layout(opts);
  const log = opts.log ?? (() => {});
  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  const notOurs = (pid: number | undefined): LocalRegistry => ({
    url: l.url,
    started: false,
    pid,
    logFile: l.logFile,
    stop: async () => {},
  });

  const existing = runningPid(l.pidFile, l.marker);
  if (existing !== undefined) {
    if ((await waitUntilServing(l.url, timeoutMs, () => isAlive(existing))) === 'ready')
      return notOurs(existing);
    throw new Error(`registry pid ${existing} does not answer on ${l.url}\n${tailFile(l.logFile)}`);
  }
  if (await portOpen(LOCAL_HOST, l.port)) {
    if (await answers(l.url)) return notOurs(undefined);
    throw new Error(`port ${l.port} is in use by something that is not a schema registry`);
  }

  const appDir = await installRegistry(opts.log ? { log: opts.log } : {});
  const runner = readdirSync(appDir).find((f) => f.endsWith('-runner.jar'));
  if (!runner) throw new Error(`no *-runner.jar in ${appDir}`);
  mkdirSync(l.stateDir, { recursive: true });
  rmSync(l.logFile, { force: true });
  log(`starting Apicurio Registry on ${l.url} (log: ${l.logFile})`);
  const proc = spawnDetachedJava(
    [
      '-Xmx512m',
      l.marker,
      `-Dquarkus.http.host=${LOCAL_HOST}`,
      `-Dquarkus.http.port=${l.port}`,
      // The schema-registry client compares a subject's level with its own default (BACKWARD).
      '-Dapicurio.rules.global.compatibility=BACKWARD',
      '-jar',
      join(appDir, runner),
    ],
    { cwd: l.stateDir, logFile: l.logFile, pidFile: l.pidFile },
  );
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  const outcome = await waitUntilServing(l.url, timeoutMs, () => !exited && proc.pid > 0);
  if (outcome === 'ready') {
    return {
      url: l.url,
      started: true,
      pid: proc.pid,
      logFile: l.logFile,
      stop: async () => {
        await stopPidFile(l.pidFile, l.marker, STOP_GRACE_MS);
      },
    };
  }
  if (proc.pid > 0) await terminate(proc.pid, 2_000);
  rmSync(l.pidFile, { force: true });
  const why = outcome === 'exited' ? 'exited while starting' : `did not answer within ${timeoutMs} ms`;
  throw new Error(
    `Apicurio Registry ${why} on ${l.url}\n--- last lines of ${l.logFile} ---\n${tailFile(l.logFile)}`,
  );
}

export function stopLocalRegistry(
  opts: Pick<LocalRegistryOptions, 'port' | 'stateDir'> = {},
): Promise<boolean> {
  const l = layout(opts);
  return stopPidFile(l.pidFile, l.marker, STOP_GRACE_MS);
}

export function localRegistryStatus(opts: Pick<LocalRegistryOptions, 'port' | 'stateDir'> = {}) {
  const l = layout(opts);
  return { pid: runningPid(l.pidFile, l.marker), url: l.url, logFile: l.logFile };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function waitUntilServing(
  url: string,
  timeoutMs: number,
  running: () => boolean,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running()) return 'exited';
    if (await answers(url)) return 'ready';
    await sleep(250);
  }
  return 'timeout';
}
