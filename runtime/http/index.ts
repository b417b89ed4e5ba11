// The HTTP query API (docs/http.md).
export { FORWARDED_HEADER } from './forwarding.ts';
export { MemoryStateSource, type MemoryStateSourceOptions } from './memory-state-source.ts';
export { murmur2, partitionOfKey } from './partitioner.ts';
export { createHttpServer, type HttpServer, type HttpServerOptions } from './server.ts';
export * from './state-source.ts';
export { type GroupOwnership, ownershipFromGroup } from './ownership.ts';
export {
  advertisedEndpoint,
  type HttpFlags,
  type HttpSettings,
  httpSettings,
  TOKEN_ENV,
} from './settings.ts';
export {
  envelopeRow,
  plainRow,
  type ProjectionQueryInfo,
  type QueryableStores,
  type RowDecoder,
  type TaskStoresStateSourceOptions,
  TaskStoresStateSource,
  type TaskView,
} from './task-stores-state-source.ts';
export {
  type RuntimeStateSourceOptions,
  type RuntimeTask,
  runtimeStateSource,
} from './runtime-state-source.ts';
export { type QueryApi, type QueryApiGroup, type QueryApiOptions, startQueryApi } from './mount.ts';
export { compositeStateSource } from './composite-state-source.ts';
