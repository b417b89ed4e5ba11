// Where the brokers and the state live: command-line flag, then environment, then the definition;
// the standby settings with their defaults.
// Resolves values only: must not connect to anything or touch the disk.
import type { Definition } from '../../projections/definition/schema.ts';
import type { Env } from '../config/interpolate.ts';

export const DEFAULT_STATE_DIR = '.state';

/** The broker list, or null when none is configured (the CLI then starts the local broker). */
export function resolveBrokers(
  def: Definition,
  flag: string | undefined,
  env: Env = process.env,
): string[] | null {
  const fromConfig = def.kafka?.brokers;
  const candidates = [flag, env.KAFKA_BROKERS, Array.isArray(fromConfig) ? fromConfig.join(',') : fromConfig];
  for (const c of candidates) {
    const list = (c ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    if (list.length > 0) return list;
  }
  return null;
}

/** The state root; the application's tasks live in `<root>/<application>/<task>`. */
export function resolveStateDir(def: Definition, flag: string | undefined, env: Env = process.env): string {
  return flag || env.STREAMFOLD_STATE_DIR || def.state?.dir || DEFAULT_STATE_DIR;
}

/** Standby settings with their defaults (docs/runtime.md, "Standby replicas"). */
export function standbySettings(def: Definition): {
  standbyReplicas: number;
  acceptableRecoveryLag: number;
  /** Absent: no limit (every task that is to move warms up at once). */
  maxWarmupReplicas?: number;
  /** Absent: 60 s (runtime/standby/standby-tasks.ts). */
  probingRebalanceIntervalMs?: number;
} {
  const { maxWarmupReplicas, probingRebalanceIntervalMs } = def.processing ?? {};
  return {
    standbyReplicas: def.processing?.standbyReplicas ?? 0,
    acceptableRecoveryLag: def.processing?.acceptableRecoveryLag ?? 10_000,
    ...(probingRebalanceIntervalMs !== undefined ? { probingRebalanceIntervalMs } : {}),
    ...(maxWarmupReplicas !== undefined ? { maxWarmupReplicas } : {}),
  };
}
