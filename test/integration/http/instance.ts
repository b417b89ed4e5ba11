// One instance of an application with the query API, as `streamfold run` will mount it: the
// runtime's tasks behind a runtimeStateSource, ownership polled from the consumer group.
// No engine store holds every projection's final rows yet (docs/http.md); for projections of sums
// and counts only, the row is the `a` field of the aggregate state, so that store is read.
import type { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { names } from '../../../projections/graph/names.ts';
import type { Application } from '../../../runtime/app/index.ts';
import { type GroupOwnership, ownershipFromGroup } from '../../../runtime/http/ownership.ts';
import { type RuntimeTask, runtimeStateSource } from '../../../runtime/http/runtime-state-source.ts';
import { createHttpServer, type HttpServer } from '../../../runtime/http/server.ts';
import { kafka } from '../helpers.ts';
import { startApp } from '../runtime/harness.ts';

export interface Instance {
  app: Application;
  server: HttpServer;
  url: string;
  ownership: () => GroupOwnership | undefined;
  stop(): Promise<void>;
}

export async function startInstance(
  definition: Definition,
  stateDir: string,
  partitions: number,
): Promise<Instance> {
  const topology = compileTopology(definition);
  const holder: { app?: Application } = {};
  let ownership: GroupOwnership | undefined;
  const admin = kafka('streamfold-test-http-admin').admin();
  await admin.connect();
  const poll = async () => {
    const { groups } = await admin.describeGroups([definition.application]);
    ownership = groups[0] ? ownershipFromGroup(groups[0]) : undefined;
  };
  const poller = setInterval(() => void poll().catch(() => (ownership = undefined)), 200);
  const source = runtimeStateSource({
    topology,
    partitions,
    // The runtime's Task has the RuntimeTask shape; the map itself is not public yet.
    tasks: () =>
      (holder.app as unknown as { tasks: Map<number, RuntimeTask> } | undefined)?.tasks ?? new Map(),
    ownership: () => ownership,
    rowsStoreOf: (p) => names.aggregateStore(definition.application, p),
    decodeRow: (state) => ({ value: (state as { a: unknown }).a }),
  });
  const server = createHttpServer({ stateSource: source, forwardTimeoutMs: 2000 });
  const url = await server.listen();
  const app = startApp(definition, stateDir, { endpoint: url, sessionTimeoutMs: 6_000 });
  holder.app = app;
  await app.start();
  return {
    app,
    server,
    url,
    ownership: () => ownership,
    async stop() {
      clearInterval(poller);
      await app.stop();
      await server.close();
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
