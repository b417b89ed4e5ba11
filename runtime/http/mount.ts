// How `streamfold run` mounts the query API, in one call: listen first (the endpoint must be known
// before the instance joins its groups, which carry it in the assignor's user data), read the
// tasks lazily, and keep each group's ownership map fresh by polling its description.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { HealthState } from '../metrics/health.ts';
import type { GroupDescription } from 'kafkajs';
import type { Topology } from '../../projections/graph/topology.ts';
import { compositeStateSource } from './composite-state-source.ts';
import { type GroupOwnership, ownershipFromGroup } from './ownership.ts';
import { type RuntimeStandby, type RuntimeTask, runtimeStateSource } from './runtime-state-source.ts';
import type { CommandGateway } from './routes/commands.ts';
import { createHttpServer } from './server.ts';
import { advertisedEndpoint, type HttpSettings } from './settings.ts';
import type { RowDecoder } from './task-stores-state-source.ts';

/** One consumer group's projections: its topology, its tasks here, its ownership. */
export interface QueryApiGroup {
  topology: Topology;
  /** Partitions (tasks) of the group's application. */
  partitions: number;
  /** The tasks this instance runs now; may be empty until the runtime has joined. */
  tasks: () => ReadonlyMap<number, RuntimeTask>;
  /** The standby copies kept here (none without standby replicas), and which are warm-ups. */
  standbys?: () => ReadonlyMap<number, RuntimeStandby>;
  warmups?: () => ReadonlySet<number>;
  /** The consumer group's description, e.g. `() => admin.describeGroups([id]).then((d) => d.groups[0])`. */
  describeGroup: () => Promise<GroupDescription | undefined>;
  /** Default: the topology's final-rows stores (ProjectionInfo.rows). */
  rowsStoreOf?: (projection: string) => string | null;
  decodeRow?: RowDecoder;
  endOffset?: (topic: string, partition: number) => number | undefined;
}

export interface QueryApiOptions {
  /** One per consumer group (projection versions built beside an active one have their own). */
  groups: QueryApiGroup[];
  settings: HttpSettings;
  /** Host other instances reach this one at, when binding a wildcard address. */
  advertisedHost?: string;
  /** How often the ownership maps are refreshed (ms, default 1000); call refreshOwnership() on joins. */
  ownershipPollMs?: number;
  registerAdmin?: (scope: FastifyInstance) => void;
  logger?: FastifyBaseLogger;
  version?: string;
  /** /healthz and /readyz answer from it (see createHttpServer). */
  health?: HealthState;
  /** Resolves a projection name to a version once per request (runtime/versions/route-url.ts). */
  rewriteUrl?: (url: string) => string;
  /** Serves POST /commands/{name} (runtime/serve/command-gateway.ts). */
  commands?: CommandGateway;
  /** Adds routes before the server listens, e.g. `(app) => mountMetrics(app, metrics)`. */
  mount?: (app: FastifyInstance) => void;
  /** Materialized views' status, listed by GET /projections. */
  views?: () => unknown[];
}

export interface QueryApi {
  /** The URL to advertise to the group (ApplicationOptions.endpoint). */
  endpoint: string;
  /** Re-reads the groups now (after a rebalance); ownership is unknown (503) until it succeeds. */
  refreshOwnership(): Promise<void>;
  close(): Promise<void>;
}

export async function startQueryApi(options: QueryApiOptions): Promise<QueryApi> {
  const ownership = new Map<QueryApiGroup, GroupOwnership | undefined>();
  const sources = options.groups.map((g) =>
    runtimeStateSource({
      topology: g.topology,
      partitions: g.partitions,
      tasks: g.tasks,
      standbys: g.standbys,
      warmups: g.warmups,
      ownership: () => ownership.get(g),
      rowsStoreOf: g.rowsStoreOf,
      decodeRow: g.decodeRow,
      endOffset: g.endOffset,
    }),
  );
  const server = createHttpServer({
    stateSource: sources.length === 1 ? sources[0]! : compositeStateSource(sources),
    host: options.settings.host,
    port: options.settings.port,
    token: options.settings.token,
    registerAdmin: options.registerAdmin,
    logger: options.logger,
    version: options.version,
    health: options.health,
    rewriteUrl: options.rewriteUrl,
    commands: options.commands,
    views: options.views,
  });
  options.mount?.(server.app);
  const bound = new URL(await server.listen());
  const endpoint = advertisedEndpoint(options.settings, Number(bound.port), options.advertisedHost);
  const refresh = async () => {
    for (const g of options.groups) {
      try {
        const group = await g.describeGroup();
        ownership.set(g, group ? ownershipFromGroup(group) : undefined);
      } catch {
        ownership.set(g, undefined);
      }
    }
  };
  // One refresh at a time, awaited on close: a describe in flight when the caller disconnects its
  // admin would connect it again and keep the process alive.
  let inFlight: Promise<void> | null = null;
  let closed = false;
  const refreshOwnership = (): Promise<void> => {
    if (closed) return Promise.resolve();
    inFlight ??= refresh().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  const timer = setInterval(() => void refreshOwnership(), options.ownershipPollMs ?? 1000);
  timer.unref();
  return {
    endpoint,
    refreshOwnership,
    async close() {
      closed = true;
      clearInterval(timer);
      await inFlight;
      await server.close();
    },
  };
}
