// The topics and stores of one version, as the compiler names them: what cleanup deletes.
import { compileTopology } from '../graph/compile.ts';
import { names } from '../graph/names.ts';
import type { Definition, ProjectionDef, SourceDef } from '../definition/schema.ts';
import type { Topology } from '../graph/topology.ts';
import type { DeploymentRecord } from './deployment.ts';
import { projectionReads } from './bake.ts';

export interface VersionResources {
  /** Exchange topics, store changelogs and the records topic (output or internal feed). */
  topics: string[];
  stores: string[];
}

export function versionResources(
  application: string,
  records: DeploymentRecord[],
  id: string,
): VersionResources {
  const topology = compileVersion(application, records, id);
  const stores = topology.subTopologies
    .filter((s) => s.projection === id)
    .flatMap((s) => s.stores.map((st) => st.name));
  const topics = new Set<string>(stores.map((s) => names.changelogTopic(s)));
  for (const x of topology.exchanges) if (x.projection === id) topics.add(x.topic);
  const info = topology.projections.find((p) => p.name === id);
  if (info?.topic) topics.add(info.topic);
  // `output: false`: a feed topic exists only while someone reads it; a retired reader may have.
  if (records.find((r) => r.id === id)?.definition.output === false)
    topics.add(names.internalFeedTopic(application, id));
  return { topics: [...topics].sort(), stores: [...new Set(stores)].sort() };
}

/** The topics a version reads (sources, other versions' records, its own exchanges): its catch-up. */
export function versionInputs(application: string, records: DeploymentRecord[], id: string): string[] {
  const topology = compileVersion(application, records, id);
  return [
    ...new Set(
      topology.subTopologies.filter((s) => s.projection === id).flatMap((s) => s.inputs.map((i) => i.topic)),
    ),
  ].sort();
}

/** Compiles a version with whatever it reads, so the compiler can resolve its inputs. */
function compileVersion(application: string, records: DeploymentRecord[], id: string): Topology {
  const byId = new Map(records.map((r) => [r.id, r]));
  const projections: Record<string, ProjectionDef> = {};
  const sources: Record<string, SourceDef> = {};
  // The version and whatever it reads, so the compiler can resolve its inputs.
  const pending = [id];
  while (pending.length > 0) {
    const r = byId.get(pending.pop()!);
    if (!r || projections[r.id]) continue;
    projections[r.id] = r.definition;
    Object.assign(sources, r.sources);
    pending.push(...projectionReads(r.definition, r.sources));
  }
  const def: Definition = { application, sources, projections };
  return compileTopology(def);
}
