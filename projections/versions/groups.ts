// One definition per consumer group. A version that replays its inputs needs its own group (its
// own committed offsets), so the union of running versions is split by group; each group runs as
// its own application instance. A projection of another group is read like a source: its records
// topic, as a stream or a table.
import {
  joinTarget,
  Source,
  type Definition,
  type ProjectionDef,
  type SourceDef,
} from '../definition/schema.ts';
import { compileTopology } from '../graph/compile.ts';
import { names } from '../graph/names.ts';
import type { DeploymentRecord } from './deployment.ts';

export interface GroupDefinition {
  group: string;
  definition: Definition;
  /** The version ids this group runs. */
  ids: string[];
}

export function splitGroups(union: Definition, running: DeploymentRecord[]): GroupDefinition[] {
  const topology = compileTopology(union);
  const info = new Map(topology.projections.map((p) => [p.name, p]));
  const groupOf = new Map(running.map((r) => [r.id, r.group]));
  const readsOf = (p: ProjectionDef) => [p.from, ...(p.join ? [p.join].flat().map(joinTarget) : [])];

  const order = [...new Set(running.map((r) => r.group))].sort((a, b) =>
    a === union.application ? -1 : b === union.application ? 1 : firstDeploy(a) - firstDeploy(b),
  );
  function firstDeploy(group: string): number {
    return Math.min(...running.filter((r) => r.group === group).map((r) => r.deployedAt));
  }

  return order.map((group) => {
    const ids = running.filter((r) => r.group === group).map((r) => r.id);
    const projections: Record<string, ProjectionDef> = {};
    const sources: Record<string, SourceDef> = {};
    for (const id of ids) {
      const p = union.projections[id]!;
      projections[id] = p;
      for (const ref of readsOf(p)) {
        const src = union.sources[ref];
        if (src) sources[ref] = src;
        else if (groupOf.get(ref) !== group) {
          const other = info.get(ref)!;
          sources[ref] = Source.parse({ topic: other.topic, kind: other.kind });
        }
      }
    }
    // A projection without output that another group reads must still feed its records topic.
    for (const id of ids) {
      const readElsewhere = running.some((r) => r.group !== group && readsOf(r.definition).includes(id));
      if (projections[id]!.output === false && readElsewhere)
        projections[id] = {
          ...projections[id]!,
          output: { topic: names.internalFeedTopic(union.application, id), format: 'json' },
        };
    }
    return { group, definition: { ...union, sources, projections }, ids };
  });
}
