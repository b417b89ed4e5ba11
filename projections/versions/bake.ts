// A projection as one version compiles it: every reference to another projection resolved to that
// projection's version id, and the version folded into the id (so `version` is 1 here). The
// compiler derives every internal name from the projection's key, so compiling a definition keyed
// by version ids gives each version its own stores and topics.
import { joinTarget, type Definition, type ProjectionDef, type SourceDef } from '../definition/schema.ts';
import { versionId, versionTopic } from './ids.ts';

export class DeploymentError extends Error {}

/** The id a reference resolves to within one definition: a source stays a source. */
export function referenceId(def: Definition, ref: string): string {
  const p = def.projections[ref];
  return p ? versionId(ref, p.version) : ref;
}

export function bakeProjection(def: Definition, name: string): ProjectionDef {
  const p = def.projections[name];
  if (!p) throw new DeploymentError(`unknown projection ${name}`);
  const baked: ProjectionDef = { ...structuredClone(p), version: 1, from: referenceId(def, p.from) };
  if (p.join) {
    const joins = (Array.isArray(p.join) ? p.join : [p.join]).map((j) => {
      const target = joinTarget(j);
      const id = referenceId(def, target);
      // The right row stays visible under the name the expressions use.
      if (id === target) return { ...j };
      return { ...j, ...(j.stream !== undefined ? { stream: id } : { table: id }), as: j.as ?? target };
    });
    baked.join = Array.isArray(p.join) ? joins : joins[0];
    if (baked.from !== p.from && new RegExp(`\\b${p.from}\\s*\\.`).test(JSON.stringify(p))) {
      // After a join the left row is visible under the `from` name; the compiler would look for it
      // under the version id, which no expression can name.
      throw new DeploymentError(
        `projections.${name}: reads ${p.from} (version ${def.projections[p.from]!.version}) and names its left row '${p.from}.…' after a join; use the left row's fields directly`,
      );
    }
  }
  if (p.version > 1 && p.output && p.output.topic) {
    baked.output = { ...p.output, topic: versionTopic(p.output.topic, p.version) };
  }
  return baked;
}

/** The sources a projection reads directly or through its joins (projections are versions of their own). */
export function sourcesRead(def: Definition, name: string): Record<string, SourceDef> {
  const p = def.projections[name]!;
  const refs = [p.from, ...(p.join ? (Array.isArray(p.join) ? p.join : [p.join]).map(joinTarget) : [])];
  const out: Record<string, SourceDef> = {};
  for (const r of refs) if (def.sources[r]) out[r] = def.sources[r];
  return out;
}

/** The other projection ids a baked projection reads. */
export function projectionReads(baked: ProjectionDef, sources: Record<string, unknown>): string[] {
  const refs = [
    baked.from,
    ...(baked.join ? (Array.isArray(baked.join) ? baked.join : [baked.join]).map(joinTarget) : []),
  ];
  return refs.filter((r) => !(r in sources));
}
