// A local Apicurio Registry (Confluent-compatible API) from the Maven-resolved distribution.
// Storage is Apicurio's default in-memory database: schemas live as long as the process.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { installRegistry } from './install.ts';
import { runningPid, spawnDetachedJava, stopPidFile } from './jvm-process.ts';
import { ensureJvmService, type JvmService, LocalServiceError } from './jvm-service.ts';
import { registryStateDir } from './paths.ts';
import { DEFAULT_REGISTRY_PORT, LOCAL_HOST } from './versions.ts';

export interface LocalRegistryOptions {
  /** HTTP port; default $STREAMFOLD_REGISTRY_PORT or 39081. */
  port?: number;
  stateDir?: string;
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface LocalRegistry extends JvmService {
  /** Confluent-compatible base URL, the `host` of @kafkajs/confluent-schema-registry. */
  url: string;
  logFile: string;
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
  const service = await ensureJvmService({
    what: 'schema registry',
    address: l.url,
    port: l.port,
    pidFile: l.pidFile,
    marker: l.marker,
    logFile: l.logFile,
    timeoutMs: opts.startTimeoutMs ?? 90_000,
    stopGraceMs: STOP_GRACE_MS,
    serves: () => answers(l.url),
    launch: async () => {
      const appDir = await installRegistry(opts.log ? { log: opts.log } : {});
      const runner = readdirSync(appDir).find((f) => f.endsWith('-runner.jar'));
      if (!runner) throw new LocalServiceError(`no *-runner.jar in ${appDir}`, l.logFile, '');
      mkdirSync(l.stateDir, { recursive: true });
      rmSync(l.logFile, { force: true });
      log(`starting Apicurio Registry on ${l.url} (log: ${l.logFile})`);
      return spawnDetachedJava(
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
    },
  });
  return { url: l.url, logFile: l.logFile, ...service };
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
