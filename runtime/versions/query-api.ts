// The query API of a VersionedRuntime: one server, one state source per group (each with its own
// ownership map from its own consumer group), names resolved to versions once per request, and
// GET /versions listing every version with its state and catch-up (what `streamfold status` shows).
import type { FastifyInstance } from 'fastify';
import type { Admin } from 'kafkajs';
import type { HealthState } from '../metrics/health.ts';
import { type GroupOwnership, ownershipFromGroup } from '../http/ownership.ts';
import { runtimeStateSource } from '../http/runtime-state-source.ts';
import { createHttpServer } from '../http/server.ts';
import { advertisedEndpoint, type HttpSettings } from '../http/settings.ts';
import { compositeStateSource } from './composite-state-source.ts';
import { versionedUrl } from './route-url.ts';
import type { VersionedRuntime } from './versioned-runtime.ts';

export interface VersionedQueryApiOptions {
  runtime: VersionedRuntime;
  admin: Admin;
  settings: HttpSettings;
  advertisedHost?: string;
  ownershipPollMs?: number;
  health?: HealthState;
  mount?: (app: FastifyInstance) => void;
  registerAdmin?: (scope: FastifyInstance) => void;
}

export interface VersionedQueryApi {
  endpoint: string;
  refreshOwnership(): Promise<void>;
  close(): Promise<void>;
}

/** Call after runtime.prepare() and before runtime.start() (the endpoint goes to the groups). */
export async function startVersionedQueryApi(options: VersionedQueryApiOptions): Promise<VersionedQueryApi> {
  const { runtime, admin } = options;
  const ownership = new Map<string, GroupOwnership | undefined>();
  const groups = runtime.groups();
  const sources = [];
  for (const g of groups) {
    const firstSource = g.topology.sources[0]?.topic ?? g.topology.projections[0]?.topic;
    const meta = firstSource ? await admin.fetchTopicMetadata({ topics: [firstSource] }) : undefined;
    const partitions = meta?.topics[0]?.partitions.length ?? 1;
    sources.push(
      runtimeStateSource({
        topology: g.topology,
        partitions,
        tasks: () => g.app()?.taskMap() ?? new Map(),
        ownership: () => ownership.get(g.group),
      }),
    );
  }
  const server = createHttpServer({
    stateSource: compositeStateSource(sources),
    host: options.settings.host,
    port: options.settings.port,
    token: options.settings.token,
    registerAdmin: options.registerAdmin,
    health: options.health,
    rewriteUrl: (url) => versionedUrl(url, (p, v) => runtime.target(p, v)),
  });
  server.app.get('/versions', async () => ({ switch: runtime.switchMode, versions: runtime.versions() }));
  options.mount?.(server.app);
  const bound = new URL(await server.listen());
  const endpoint = advertisedEndpoint(options.settings, Number(bound.port), options.advertisedHost);
  // One refresh at a time, awaited on close: a describe in flight when the caller disconnects its
  // admin would connect it again and keep the process alive.
  let inFlight: Promise<void> | null = null;
  const refresh = async () => {
    const { groups: described } = await admin
      .describeGroups(groups.map((g) => g.group))
      .catch(() => ({ groups: [] as Awaited<ReturnType<Admin['describeGroups']>>['groups'] }));
    for (const g of groups) {
      const d = described.find((x) => x.groupId === g.group);
      try {
        ownership.set(g.group, d ? ownershipFromGroup(d) : undefined);
      } catch {
        ownership.set(g.group, undefined);
      }
    }
  };
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
