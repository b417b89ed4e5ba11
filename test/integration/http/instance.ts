// One instance of an application with the query API mounted as `streamfold run` will mount it
// (startQueryApi): the runtime's tasks behind a runtimeStateSource, ownership polled from the group.
// Rows come from the engine's final-rows stores (ProjectionInfo.rows), the default.
import type { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import type { Application } from '../../../runtime/app/index.ts';
import { startQueryApi } from '../../../runtime/http/mount.ts';
import type { GroupOwnership } from '../../../runtime/http/ownership.ts';
import { ownershipFromGroup } from '../../../runtime/http/ownership.ts';
import type { RuntimeTask } from '../../../runtime/http/runtime-state-source.ts';
import { kafka } from '../helpers.ts';
import { startApp } from '../runtime/harness.ts';

export interface Instance {
  app: Application;
  url: string;
  /** The group as this test sees it (for waiting until ownership settles). */
  ownership: () => GroupOwnership | undefined;
  stop(): Promise<void>;
}

export async function startInstance(
  definition: Definition,
  stateDir: string,
  partitions: number,
): Promise<Instance> {
  const holder: { app?: Application } = {};
  const admin = kafka('streamfold-test-http-admin').admin();
  await admin.connect();
  let seen: GroupOwnership | undefined;
  const describeGroup = async () => {
    const group = (await admin.describeGroups([definition.application])).groups[0];
    seen = group ? ownershipFromGroup(group) : undefined;
    return group;
  };
  const api = await startQueryApi({
    groups: [
      {
        topology: compileTopology(definition),
        partitions,
        // The runtime's Task has the RuntimeTask shape; the map itself is not public yet.
        tasks: () =>
          (holder.app as unknown as { tasks: Map<number, RuntimeTask> } | undefined)?.tasks ?? new Map(),
        standbys: () => holder.app?.standbys.tasks ?? new Map(),
        warmups: () => holder.app?.standbys.warmupIds() ?? new Set<number>(),
        describeGroup,
      },
    ],
    settings: { host: '127.0.0.1', port: 0 },
    ownershipPollMs: 200,
  });
  const app = startApp(definition, stateDir, { endpoint: api.endpoint, sessionTimeoutMs: 6_000 });
  holder.app = app;
  await app.start();
  return {
    app,
    url: api.endpoint,
    ownership: () => seen,
    async stop() {
      await app.stop();
      await api.close();
      await admin.disconnect();
    },
  };
}

/** The test application: one table of sums and counts per account. */
export function totalsProjection(): Definition['projections'] {
  return {
    totals: {
      from: 'accounts',
      aggregate: {
        balance: { sum: { MoneyDeposited: 'amount', MoneyWithdrawn: '-amount' } },
        events: { count: '*' },
      },
    },
  } as unknown as Definition['projections'];
}
