// What the runtime records about every deployed projection version (the `<app>-deployments` topic).
// The old logic of a version is no longer in the YAML once its version is bumped, so the record
// carries everything needed to keep running it: the projection's definition with its references
// resolved to version ids, and the sources it reads.
import type { ProjectionDef, SourceDef } from '../definition/schema.ts';

/**
 * building: deployed, catching up, not queried by default;
 * active:   the version `/projections/{name}` answers from (one per projection);
 * retired:  replaced (or abandoned); no longer run after a restart, its data awaits cleanup;
 * removed:  cleaned up (topics and local state deleted).
 */
export type VersionState = 'building' | 'active' | 'retired' | 'removed';

export interface DeploymentRecord {
  projection: string;
  version: number;
  /** versionId(projection, version): the name of its stores and topics. */
  id: string;
  state: VersionState;
  /**
   * The consumer group that runs it. The versions of the first deployment run in the application's
   * group; a version deployed beside an active one gets a group of its own (`<app>-<id>`), because
   * it must read its inputs from the start while the application's group sits at their end.
   */
  group: string;
  /** The projection as compiled: references are version ids, `version` is 1 (already in the id). */
  definition: ProjectionDef;
  /** The sources this version reads, directly or through joins. */
  sources: Record<string, SourceDef>;
  deployedAt: number;
  /** When it became active (auto switch or promote). */
  activatedAt?: number;
  retiredAt?: number;
}

/** Key of a record in the deployments topic (compacted: the last record per key wins). */
export function deploymentKey(projection: string, version: number): string {
  return `${projection}@${version}`;
}

/** The group of a version deployed beside an active one. */
export function versionGroup(application: string, id: string): string {
  return `${application}-${id}`;
}
