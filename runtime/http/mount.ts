// How `streamfold run` mounts the query API, in one call: listen first (the endpoint must be known
// before the instance joins the group, which carries it in the assignor's user data), read the
// tasks lazily, and keep the ownership map fresh by polling the group description.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { HealthState } from '../metrics/health.ts';
import type { GroupDescription } from 'kafkajs';
import type { Topology } from '../../projections/graph/topology.ts';
import { type GroupOwnership, ownershipFromGroup } from './ownership.ts';
import { type RuntimeTask, runtimeStateSource } from './runtime-state-source.ts';
import { createHttpServer } from './server.ts';
import { advertisedEndpoint, type HttpSettings } from './settings.ts';
import type { RowDecoder } from './task-stores-state-source.ts';

export interface QueryApiOptions {
  topology: Topology;
  /** Partitions (tasks) of the application. */
  partitions: number;
  /** The tasks this instance runs now; may be empty until the runtime has joined. */
  tasks: () => ReadonlyMap<number, RuntimeTask>;
  /** The consumer group's description, e.g. `() => admin.describeGroups([id]).then((d) => d.groups[0])`. */
  describeGroup: () => Promise<GroupDescription | undefined>;
  settings: HttpSettings;
  /** Host other instances reach this one at, when binding a wildcard address. */
  advertisedHost?: string;
  /** Default: the topology's final-rows stores (ProjectionInfo.rows). */
  rowsStoreOf?: (projection: string) => string | null;
  decodeRow?: RowDecoder;
  endOffset?: (topic: string, partition: number) => number | undefined;
  /** How often the ownership map is refreshed (ms, default 1000); call refreshOwnership() on joins. */
  ownershipPollMs?: number;
  registerAdmin?: (scope: FastifyInstance) => void;
  logger?: FastifyBaseLogger;
  version?: string;
  /** /healthz and /readyz answer from it (see createHttpServer). */
  health?: HealthState;
  /** Adds routes before the server listens, e.g. `(app) => mountMetrics(app, metrics)`. */
  mount?: (app: FastifyInstance) => void;
}

export interface QueryApi {
  /** The URL to advertise to the group (ApplicationOptions.endpoint). */
  endpoint: string;
  /** Re-reads the group now (after a rebalance); ownership is unknown (503) until it succeeds. */
  refreshOwnership(): Promise<void>;
  close(): Promise<void>;
}

export async function startQueryApi(options: QueryApiOptions): Promise<QueryApi> {
  let ownership: GroupOwnership | undefined;
  const source = runtimeStateSource({
    topology: options.topology,
    partitions: options.partitions,
    tasks: options.tasks,
    ownership: () => ownership,
    rowsStoreOf: options.rowsStoreOf,
    decodeRow: options.decodeRow,
    endOffset: options.endOffset,
  });
  const server = createHttpServer({
    stateSource: source,
    host: options.settings.host,
    port: options.settings.port,
    token: options.settings.token,
    registerAdmin: options.registerAdmin,
    logger: options.logger,
    version: options.version,
    health: options.health,
  });
  options.mount?.(server.app);
  const bound = new URL(await server.listen());
  const endpoint = advertisedEndpoint(options.settings, Number(bound.port), options.advertisedHost);
  const refreshOwnership = async () => {
    try {
      const group = await options.describeGroup();
      ownership = group ? ownershipFromGroup(group) : undefined;
    } catch {
      ownership = undefined;
    }
  };
  const timer = setInterval(() => void refreshOwnership(), options.ownershipPollMs ?? 1000);
  timer.unref();
  return {
    endpoint,
    refreshOwnership,
    async close() {
      clearInterval(timer);
      await server.close();
    },
  };
}
