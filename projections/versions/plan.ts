// Deploying a definition: which versions run, and what the deployments topic must learn.
//
// Rules (docs/versions.md):
// - a version's definition is immutable: a recorded (projection, version) whose logic differs from
//   the YAML's is an error ("bump the version");
// - the first version of a projection is active at once (nothing else could answer);
// - a newer version than the active one is `building`: both run side by side until it switches;
// - the YAML never goes back: a version older than the active one, or one already retired, is an
//   error (a rollback is a new version with the old logic);
// - a building version the YAML no longer declares is abandoned (retired);
// - a version that a running version reads keeps running even when retired (its readers need it).
// The union is a Definition keyed by version ids; compiling it runs every version with its own
// stores and topics.
import { canonicalJson } from '../keys.ts';
import type { Definition, ProjectionDef, SourceDef } from '../definition/schema.ts';
import { bakeProjection, DeploymentError, projectionReads, sourcesRead } from './bake.ts';
import { type DeploymentRecord, deploymentKey, versionGroup } from './deployment.ts';
import { versionId } from './ids.ts';

export interface DeploymentPlan {
  /** Every version to run, keyed by version id. */
  definition: Definition;
  /** The record of every version in `definition`, with its state after `writes`. */
  running: DeploymentRecord[];
  /** Records to write to the deployments topic before starting (new versions, state changes). */
  writes: DeploymentRecord[];
}

/** Logic equality: descriptions do not count. */
export function sameLogic(a: ProjectionDef, b: ProjectionDef): boolean {
  const strip = ({ description: _d, ...rest }: ProjectionDef) => rest;
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

export function planDeployment(
  yaml: Definition,
  recorded: Iterable<DeploymentRecord>,
  now: number,
): DeploymentPlan {
  const known = new Map<string, DeploymentRecord>();
  for (const r of recorded) known.set(deploymentKey(r.projection, r.version), r);
  const ofProjection = (name: string) => [...known.values()].filter((r) => r.projection === name);
  const writes: DeploymentRecord[] = [];
  const running = new Map<string, DeploymentRecord>();
  const sources: Record<string, SourceDef> = {};

  for (const [name, p] of Object.entries(yaml.projections)) {
    const v = p.version;
    const newest = Math.max(v, ...ofProjection(name).map((r) => r.version));
    const definition = bakeProjection(yaml, name);
    const prior = known.get(deploymentKey(name, v));
    if (prior && (prior.state === 'retired' || prior.state === 'removed')) {
      throw new DeploymentError(
        `projections.${name}: version ${v} was ${prior.state}; deploy it again as version ${newest + 1}`,
      );
    }
    if (prior && !sameLogic(prior.definition, definition)) {
      throw new DeploymentError(
        `projections.${name}: the logic of version ${v} changed since it was deployed; set version: ${newest + 1} to build the new logic side by side`,
      );
    }
    const active = ofProjection(name).find((r) => r.state === 'active');
    if (active && active.version > v) {
      throw new DeploymentError(
        `projections.${name}: version ${active.version} is active, the definition declares ${v}; a rollback is a new version (${newest + 1}) with the old logic`,
      );
    }
    let record: DeploymentRecord;
    if (prior) {
      record = { ...prior, definition, sources: sourcesRead(yaml, name) };
    } else {
      record = {
        projection: name,
        version: v,
        id: versionId(name, v),
        state: active ? 'building' : 'active',
        group: active ? versionGroup(yaml.application, versionId(name, v)) : yaml.application,
        definition,
        sources: sourcesRead(yaml, name),
        deployedAt: now,
        ...(active ? {} : { activatedAt: now }),
      };
      writes.push(record);
    }
    running.set(record.id, record);
    for (const r of ofProjection(name)) {
      if (r.state === 'building' && r.version !== v) writes.push({ ...r, state: 'retired', retiredAt: now });
    }
    if (active && active.version !== v) running.set(active.id, active);
  }

  // Versions that running versions read keep running (an old downstream still reads its old input).
  const byId = new Map([...known.values()].map((r) => [r.id, r]));
  const pending = [...running.values()];
  while (pending.length > 0) {
    const r = pending.pop()!;
    Object.assign(sources, { ...r.sources, ...sources });
    for (const id of projectionReads(r.definition, { ...yaml.sources, ...r.sources })) {
      if (running.has(id)) continue;
      const dep = byId.get(id);
      if (!dep || dep.state === 'removed') {
        throw new DeploymentError(
          `${r.projection} version ${r.version} reads ${id}, which is no longer deployed; retire ${r.projection} version ${r.version} first`,
        );
      }
      running.set(id, dep);
      pending.push(dep);
    }
  }

  const projections: Record<string, ProjectionDef> = {};
  for (const r of running.values()) projections[r.id] = r.definition;
  return {
    definition: { ...yaml, sources: { ...sources, ...yaml.sources }, projections },
    running: [...running.values()],
    writes,
  };
}
