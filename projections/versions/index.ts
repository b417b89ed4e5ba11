// Projection versions: ids, the union of deployed versions, switching and cleanup (docs/versions.md).
export { bakeProjection, DeploymentError, referenceId } from './bake.ts';
export { type DeploymentRecord, deploymentKey, type VersionState } from './deployment.ts';
export { parseVersionRef, versionId, versionTopic } from './ids.ts';
export { type DeploymentPlan, planDeployment, sameLogic } from './plan.ts';
export { type VersionResources, versionInputs, versionResources } from './resources.ts';
export {
  activeVersions,
  autoSwitches,
  cleanupRefusal,
  promote,
  queryTarget,
  type SwitchMode,
} from './switch.ts';
export { type GroupDefinition, splitGroups } from './groups.ts';
export { versionGroup } from './deployment.ts';
