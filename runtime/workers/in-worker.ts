// The worker's side of `streamfold run --workers N`: the environment the supervisor
// (supervisor.ts) starts each worker with, and what a worker tells it or does about it.

/** Set in a worker's environment: its index (0-based). */
export const WORKER_INDEX_ENV = 'STREAMFOLD_WORKER_INDEX';
/** The message a worker sends over IPC once it runs and serves HTTP. */
export const WORKER_READY = 'streamfold-worker-ready';
/** Set in a worker's environment: an id its sibling workers share (the group's leader counts them). */
export const WORKER_SET_ENV = 'STREAMFOLD_WORKER_SET';
/** Set for the workers of the first launch only: how many siblings to wait for before restoring. */
export const WORKERS_AT_START_ENV = 'STREAMFOLD_WORKERS_AT_START';

/** In a worker: its siblings, and how many of them a cold start waits for (absent: not a worker). */
export function workerSetFromEnvironment(): { id: string; awaitAtStart: number } | undefined {
  const id = process.env[WORKER_SET_ENV];
  if (!id) return undefined;
  return { id, awaitAtStart: Number(process.env[WORKERS_AT_START_ENV] ?? 0) || 0 };
}

/** Tells the supervisor, from inside a worker, that it is up (a no-op outside a supervisor). */
export function reportWorkerReady(endpoint: string | null): void {
  if (process.env[WORKER_INDEX_ENV] !== undefined && process.send)
    process.send({ kind: WORKER_READY, endpoint });
}

/**
 * In a worker: SIGTERM itself when the supervisor is gone (its IPC channel closed), so a killed
 * supervisor leaves no workers behind.
 */
export function stopWhenOrphaned(): void {
  if (process.env[WORKER_INDEX_ENV] === undefined || !process.send) return;
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
