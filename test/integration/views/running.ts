// The projections and their views in the test's process, and waiting for a view to reach the oracle.
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { Definition } from '../../../projections/definition/schema.ts';
import { silentLogger } from '../../../runtime/log/logger.ts';
import { VersionedRuntime, type VersionedRuntimeOptions } from '../../../runtime/versions/index.ts';
import { startViews, type ViewsRuntime } from '../../../runtime/views/index.ts';
import { oracleTable, viewTable } from './postgres.ts';

export interface Running {
  runtime: VersionedRuntime;
  views: ViewsRuntime;
  fatal: Error[];
  stop(): Promise<void>;
}

/** The projections and their views, in this process. */
export async function startRunning(
  definition: Definition,
  stateDir: string,
  extra: Partial<VersionedRuntimeOptions> = {},
): Promise<Running> {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
  const runtime = new VersionedRuntime({
    definition,
    brokers,
    stateDir,
    sessionTimeoutMs: 6_000,
    progress: 'log',
    ...extra,
  });
  await runtime.prepare();
  await runtime.start(null);
  const fatal: Error[] = [];
  const logger = silentLogger();
  const views = (await startViews({ definition, brokers, runtime, logger, onFatal: (e) => fatal.push(e) }))!;
  return {
    runtime,
    views,
    fatal,
    async stop() {
      await views.stop();
      await runtime.stop();
    },
  };
}

/** Polls until the view of each projection equals its oracle table; returns the last difference. */
export async function untilViewsEqual(
  url: string,
  definition: Definition,
  expected: Map<string, Map<string, unknown>>,
  projections: string[],
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actual = await Promise.all(projections.map((p) => viewTable(url, definition, p).catch(() => null)));
    const want = projections.map((p) => oracleTable(expected.get(p)!));
    if (isDeepStrictEqual(actual, want)) return;
    if (Date.now() > deadline) {
      assert.deepEqual(actual, want, 'the views did not reach the oracle in time');
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
