// Projection versions in the runtime (docs/versions.md).
export { type CatchUp, catchUp } from './catch-up.ts';
export { cleanupVersion, type CleanupOptions, clearStores } from './cleanup.ts';
export { DeploymentsLog, deploymentsTopic } from './deployments-log.ts';
export { versionedUrl } from './route-url.ts';
export { type VersionStatus, VersionedRuntime, type VersionedRuntimeOptions } from './versioned-runtime.ts';
