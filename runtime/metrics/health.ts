// Liveness and readiness of one runtime instance, kept apart from HTTP so that the runtime sets it
// and the HTTP layer only reads it. Ready means: started, not stopping, the group has handed this
// instance its tasks, and every one of them has restored its stores (queries would otherwise see
// a partial table).

export type TaskId = number | string;

export interface Readiness {
  ready: boolean;
  /** Why not ready; absent when ready. */
  reason?: string;
  /** Assigned tasks still restoring. */
  restoring: TaskId[];
  /** Assigned tasks done restoring. */
  restored: TaskId[];
}

export interface Liveness {
  live: boolean;
  reason?: string;
}

export interface HealthResponse {
  statusCode: 200 | 503;
  body: { status: 'ok' | 'ready' | 'failed' | 'not_ready'; reason?: string; restoring?: TaskId[] };
}

type Phase = 'starting' | 'running' | 'stopping' | 'stopped';

export class HealthState {
  private phase: Phase = 'starting';
  private assignmentKnown = false;
  /** Assigned task → restored yet. */
  private readonly tasks = new Map<TaskId, boolean>();
  private failure: string | undefined;

  /** The runtime joined its group and runs (assignment may still be pending). */
  started(): void {
    if (this.phase === 'starting') this.phase = 'running';
  }

  /** A stop began: not ready any more, so load balancers drain this instance first. */
  stopping(): void {
    this.phase = 'stopping';
  }

  stopped(): void {
    this.phase = 'stopped';
  }

  /** A fatal error: the process is no longer healthy and should be restarted. */
  fail(reason: string): void {
    this.failure ??= reason;
  }

  /**
   * The group's new assignment for this instance. Tasks kept from before keep their restore
   * state; new ones start restoring; the rest are gone. An empty assignment is ready (an instance
   * with more peers than partitions has nothing to restore).
   */
  assigned(tasks: Iterable<TaskId>): void {
    const next = new Set(tasks);
    for (const id of [...this.tasks.keys()]) if (!next.has(id)) this.tasks.delete(id);
    for (const id of next) if (!this.tasks.has(id)) this.tasks.set(id, false);
    this.assignmentKnown = true;
  }

  /** A task's stores are restored and it processes new records. */
  restored(task: TaskId): void {
    if (this.tasks.has(task)) this.tasks.set(task, true);
  }

  /** A task must restore (again), e.g. after its state was wiped. */
  restoring(task: TaskId): void {
    this.tasks.set(task, false);
  }

  liveness(): Liveness {
    if (this.failure !== undefined) return { live: false, reason: this.failure };
    return { live: true };
  }

  readiness(): Readiness {
    const restoring: TaskId[] = [];
    const restored: TaskId[] = [];
    for (const [id, done] of this.tasks) (done ? restored : restoring).push(id);
    const result = (reason?: string): Readiness =>
      reason === undefined
        ? { ready: true, restoring, restored }
        : { ready: false, reason, restoring, restored };
    if (this.failure !== undefined) return result(`failed: ${this.failure}`);
    if (this.phase === 'starting') return result('starting');
    if (this.phase === 'stopping' || this.phase === 'stopped') return result(this.phase);
    if (!this.assignmentKnown) return result('waiting for the group to assign tasks');
    if (restoring.length > 0) return result(`restoring ${restoring.length} of ${this.tasks.size} tasks`);
    return result();
  }
}

/** `/healthz`: 200 while the process works, 503 after a fatal error. */
export function healthz(state: HealthState): HealthResponse {
  const l = state.liveness();
  return l.live
    ? { statusCode: 200, body: { status: 'ok' } }
    : { statusCode: 503, body: { status: 'failed', reason: l.reason } };
}

/** `/readyz`: 200 once every assigned task restored, else 503 with the reason. */
export function readyz(state: HealthState): HealthResponse {
  const r = state.readiness();
  return r.ready
    ? { statusCode: 200, body: { status: 'ready' } }
    : { statusCode: 503, body: { status: 'not_ready', reason: r.reason, restoring: r.restoring } };
}
