// Switching queries between versions, and which version a query reads. Pure: the runtime feeds in
// the recorded versions and which ids have caught up, and writes the records returned.
import { joinTarget } from '../definition/schema.ts';
import { DeploymentError } from './bake.ts';
import type { DeploymentRecord } from './deployment.ts';

export type SwitchMode = 'auto' | 'manual';

/** The active version of each projection. */
export function activeVersions(records: Iterable<DeploymentRecord>): Map<string, DeploymentRecord> {
  const out = new Map<string, DeploymentRecord>();
  for (const r of records) if (r.state === 'active') out.set(r.projection, r);
  return out;
}

/** The building version that would replace the active one: the newest. */
function candidate(records: DeploymentRecord[], projection: string): DeploymentRecord | undefined {
  return records
    .filter((r) => r.projection === projection && r.state === 'building')
    .sort((a, b) => b.version - a.version)[0];
}

function switchTo(records: DeploymentRecord[], next: DeploymentRecord, now: number): DeploymentRecord[] {
  const writes: DeploymentRecord[] = [{ ...next, state: 'active', activatedAt: now }];
  for (const r of records) {
    if (r.projection === next.projection && r.state === 'active' && r.version !== next.version)
      writes.push({ ...r, state: 'retired', retiredAt: now });
  }
  return writes;
}

/** `versions.switch: auto`: every building version that has caught up becomes active. */
export function autoSwitches(
  records: DeploymentRecord[],
  caughtUp: (id: string) => boolean,
  now: number,
): DeploymentRecord[] {
  const writes: DeploymentRecord[] = [];
  const projections = new Set(records.filter((r) => r.state === 'building').map((r) => r.projection));
  for (const p of projections) {
    const next = candidate(records, p)!;
    if (caughtUp(next.id)) writes.push(...switchTo(records, next, now));
  }
  return writes;
}

/** `streamfold promote <projection> [--version n]`: default the newest building version. */
export function promote(
  records: DeploymentRecord[],
  projection: string,
  version: number | undefined,
  now: number,
): DeploymentRecord[] {
  const mine = records.filter((r) => r.projection === projection);
  if (mine.length === 0) throw new DeploymentError(`no deployed version of ${projection}`);
  const next =
    version === undefined ? candidate(records, projection) : mine.find((r) => r.version === version);
  if (!next) {
    throw new DeploymentError(
      version === undefined
        ? `${projection} has no building version to promote`
        : `${projection} has no version ${version}`,
    );
  }
  if (next.state === 'active') return [];
  if (next.state !== 'building') {
    throw new DeploymentError(
      `${projection} version ${next.version} is ${next.state}; only a building version can be promoted`,
    );
  }
  return switchTo(records, next, now);
}

/**
 * The version id a query reads: the given version (any state but removed), or the active one.
 * undefined when there is none.
 */
export function queryTarget(
  records: Iterable<DeploymentRecord>,
  projection: string,
  version?: number,
): string | undefined {
  for (const r of records) {
    if (r.projection !== projection || r.state === 'removed') continue;
    if (version === undefined ? r.state === 'active' : r.version === version) return r.id;
  }
  return undefined;
}

/**
 * Why `streamfold cleanup` may not remove a version, or undefined when it may. `declared` is the
 * version the YAML declares for the projection (undefined when the YAML no longer has it).
 */
export function cleanupRefusal(
  records: DeploymentRecord[],
  projection: string,
  version: number,
  declared: number | undefined,
): string | undefined {
  const r = records.find((x) => x.projection === projection && x.version === version);
  if (!r) return `${projection} has no version ${version}`;
  if (r.state === 'removed') return `${projection} version ${version} is already removed`;
  if (declared === version) return `${projection} version ${version} is the version the definition declares`;
  if (r.state === 'active' && declared !== undefined)
    return `${projection} version ${version} is active (queries read it); promote another version first`;
  const readers = records.filter(
    (x) =>
      (x.state === 'active' || x.state === 'building') &&
      [x.definition.from, ...(x.definition.join ? [x.definition.join].flat().map(joinTarget) : [])].includes(
        r.id,
      ),
  );
  if (readers.length > 0)
    return `${readers.map((x) => `${x.projection} version ${x.version}`).join(', ')} still read${readers.length === 1 ? 's' : ''} it`;
  return undefined;
}
