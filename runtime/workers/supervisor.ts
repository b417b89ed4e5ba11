// `streamfold run --workers N`: N `streamfold run` processes on one host, each a member of the same
// consumer groups with its own state directory (worker-<i> under the state root), so a machine
// with more cores is used without N containers. The supervisor owns what must happen once (the
// local broker, creating source topics), serves the one HTTP port through the proxy, restarts a
// worker that died, and passes SIGTERM/SIGINT on. It runs no projection itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { WORKER_INDEX_ENV, WORKER_READY, WORKER_SET_ENV, WORKERS_AT_START_ENV } from './in-worker.ts';
import { startWorkerProxy, type WorkerEndpoint, type WorkerProxy } from './proxy.ts';

export interface WorkersOptions {
  count: number;
  logger: Logger;
  brokers: string[];
  stateDir: string;
  /** Every worker's `streamfold run` flags but brokers, state dir and HTTP port. */
  args: string[];
  /** Only worker 0's extra flags (the sample generator). */
  firstWorkerArgs: string[];
  /** Null with --no-http. */
  http: { host: string; port: number; token?: string } | null;
  /** How long a stop may take before the workers are killed. */
  stopTimeoutMs: number;
}

/** Restarts closer than this count as a crash loop: the supervisor then gives up. */
const RESTART_WINDOW_MS = 60_000;
const MAX_RESTARTS_IN_WINDOW = 5;
const RESTART_DELAY_MS = 1_000;

interface Worker {
  index: number;
  child: ChildProcess;
  ready: WorkerEndpoint | null;
  exited: Promise<number>;
}

/** Runs the workers until a signal; resolves to the exit code. */
export async function superviseWorkers(o: WorkersOptions): Promise<number> {
  const workers: Worker[] = [];
  const restarts: number[] = [];
  let stopping = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));
  const workerSet = randomBytes(8).toString('hex');

  const launch = (index: number, atStart: boolean): Worker => {
    const args = [
      'run',
      ...o.args,
      ...(index === 0 ? o.firstWorkerArgs : []),
      '--brokers',
      o.brokers.join(','),
      '--state-dir',
      join(o.stateDir, `worker-${index}`),
      ...(o.http ? ['--http-host', o.http.host, '--http-port', '0'] : ['--no-http']),
    ];
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
      env: {
        ...process.env,
        [WORKER_INDEX_ENV]: String(index),
        [WORKER_SET_ENV]: workerSet,
        // A cold start holds its first assignment until every worker is in the group, so that no
        // worker restores tasks the group then hands to a sibling (a restarted worker joins as is).
        [WORKERS_AT_START_ENV]: atStart ? String(o.count) : '0',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group: a terminal's Ctrl-C (or a group-wide SIGTERM) reaches the supervisor
      // only, which stops the workers once. A worker whose supervisor vanished stops itself
      // (stopWhenOrphaned).
      detached: true,
    });
    const worker: Worker = {
      index,
      child,
      ready: null,
      exited: new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1))),
    };
    child.on('message', (m: { kind?: string; endpoint?: string | null }) => {
      if (m?.kind !== WORKER_READY) return;
      worker.ready = { index, pid: child.pid ?? 0, endpoint: m.endpoint ?? '' };
      o.logger.info({ worker: index, pid: child.pid, endpoint: m.endpoint }, `worker ${index} running`);
    });
    void worker.exited.then((code) => onExit(worker, code));
    return worker;
  };

  const onExit = (worker: Worker, code: number) => {
    if (stopping) return;
    // Exit 2 is a user error (config, broker, topics): every worker would meet it again.
    if (code === 2 || !worker.ready) {
      o.logger.error(
        { worker: worker.index, code },
        `worker ${worker.index} exited with ${code} before it ran`,
      );
      void stop(code === 0 ? 1 : code);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length > MAX_RESTARTS_IN_WINDOW) {
      o.logger.error(`workers restarted ${restarts.length} times in a minute: giving up`);
      void stop(1);
      return;
    }
    o.logger.warn(
      { worker: worker.index, code },
      `worker ${worker.index} exited with ${code}: restarting it`,
    );
    setTimeout(() => {
      if (!stopping) workers[worker.index] = launch(worker.index, false);
    }, RESTART_DELAY_MS);
  };

  let proxy: WorkerProxy | null = null;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const kill = setTimeout(() => {
      for (const w of workers) w.child.kill('SIGKILL');
    }, o.stopTimeoutMs);
    kill.unref();
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    const codes = await Promise.all(workers.map((w) => w.exited));
    clearTimeout(kill);
    await proxy?.close();
    resolveDone(Math.max(code, ...codes.map((c) => (c === 0 ? 0 : 1))));
  };

  if (o.http) {
    proxy = await startWorkerProxy(
      o.http.host,
      o.http.port,
      () => workers.flatMap((w) => (w.ready && w.child.exitCode === null ? [w.ready] : [])),
      o.http.token,
    );
  }
  for (let i = 0; i < o.count; i++) workers.push(launch(i, true));
  o.logger.info(
    { workers: o.count, http: proxy ? `http://${o.http!.host}:${proxy.port}` : null },
    `running ${o.count} workers${proxy ? `, HTTP on http://${o.http!.host}:${proxy.port}` : ''}`,
  );
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (stopping) {
        for (const w of workers) w.child.kill('SIGKILL');
        return;
      }
      o.logger.info(`${sig}: stopping the workers`);
      void stop(0);
    });
  }
  return done;
}
