// One writer per partition across instances: two `streamfold run` processes share the work, and
// each writes the view partitions whose tasks it owns. While both run, their partitions are
// disjoint and cover the output topic, each partition's position is advanced by its owner alone
// (the batches each instance committed, per partition, from GET /projections), and the tables equal
// the oracle. One instance is SIGKILLed: the other takes its partitions over, resumes from their
// positions in the database, and the tables equal the oracle again.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli, type CliRun, killAll, outputOfAll } from '../runtime/cli-process.ts';
import { testDir, until } from '../helpers.ts';
import { createSources, oracle, produceEvents, seedEvents, shopDefinition } from '../runtime/harness.ts';
import { freshDatabase, withViews } from './postgres.ts';
import { untilViewsEqual } from './running.ts';

const PARTITIONS = 4;
const PROJECTIONS = ['balances', 'orders_enriched'];
const dir = testDir('views-two');
let passed = false;
after(async () => {
  if (!passed) process.stderr.write(`\n${outputOfAll()}\n`);
  await killAll();
});

interface ViewStatus {
  projection: string;
  partitions: Array<{ partition: number; state: string }>;
  batches: Record<string, number>;
}

interface Instance {
  run: CliRun;
  url: string;
}

async function start(configFile: string, name: string): Promise<Instance> {
  const run = cli(['run', '-c', configFile, '--state-dir', join(dir, name)]);
  const url = await until('the served URL', async () => {
    if (run.child.exitCode !== null) throw new Error(`run exited: ${run.stderr().slice(-2000)}`);
    return /dashboard {2}(http:\/\/\S+)\/dashboard\//.exec(run.stdout())?.[1];
  });
  return { run, url };
}

/** The views an instance writes, by projection. */
async function views(instance: Instance): Promise<Map<string, ViewStatus>> {
  const res = await fetch(`${instance.url}/projections`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { views?: ViewStatus[] };
  return new Map((body.views ?? []).map((v) => [v.projection, v]));
}

const written = (v: ViewStatus | undefined) => (v?.partitions ?? []).map((p) => p.partition);
const all = Array.from({ length: PARTITIONS }, (_, p) => p);

/** Waits until, for every view, the instances' partitions are disjoint, cover the topic, none empty. */
async function settled(instances: Instance[]): Promise<Array<Map<string, ViewStatus>>> {
  return until(
    'each partition written by exactly one instance',
    async () => {
      const status = await Promise.all(instances.map(views));
      for (const projection of PROJECTIONS) {
        const parts = status.map((s) => written(s.get(projection)));
        if (parts.some((p) => p.length === 0)) return undefined;
        const union = parts.flat().sort((a, b) => a - b);
        if (JSON.stringify(union) !== JSON.stringify(all)) return undefined;
      }
      return status;
    },
    90_000,
  );
}

test(
  'two instances: one writer per partition; the survivor takes over a killed instance',
  { timeout: 300_000 },
  async () => {
    const url = await freshDatabase();
    const shop = shopDefinition('views2', {
      processing: { guarantee: 'at_least_once', commitIntervalMs: 100 },
    });
    const definition = withViews(shop.definition, url);
    const configFile = join(dir, 'views2.yaml');
    writeFileSync(configFile, JSON.stringify({ ...definition, kafka: {} }, null, 2));
    await createSources(shop, PARTITIONS);
    const events = seedEvents(shop, 6_000, 11);
    const batches = [events.slice(0, 2_000), events.slice(2_000, 4_000), events.slice(4_000)];
    await produceEvents(batches[0]!);

    const a = await start(configFile, 'a');
    const b = await start(configFile, 'b');
    const before = await settled([a, b]);
    await untilViewsEqual(url, definition, (await oracle(definition, batches[0]!)).tables, PROJECTIONS);

    // Both alive: more events; each partition's batches are committed by its owner alone.
    const counts0 = await Promise.all([a, b].map(views));
    await produceEvents(batches[1]!);
    const upToTwo = [...batches[0]!, ...batches[1]!];
    await untilViewsEqual(url, definition, (await oracle(definition, upToTwo)).tables, PROJECTIONS);
    const counts1 = await Promise.all([a, b].map(views));
    for (const projection of PROJECTIONS) {
      const owners = before.map((s) => written(s.get(projection)));
      assert.deepEqual(
        counts1.map((s) => written(s.get(projection))),
        owners,
        `${projection}: no rebalance during the check`,
      );
      console.log(`# ${projection}: instance a writes [${owners[0]}], b writes [${owners[1]}]`);
      for (const p of all) {
        const grew = [0, 1].filter(
          (i) =>
            (counts1[i]!.get(projection)!.batches[p] ?? 0) > (counts0[i]!.get(projection)!.batches[p] ?? 0),
        );
        const owner = owners[0]!.includes(p) ? 0 : 1;
        assert.deepEqual(grew, [owner], `${projection} partition ${p}: committed by its owner only`);
      }
    }

    // Kill b: a takes b's partitions over from their positions in the database.
    b.run.child.kill('SIGKILL');
    await b.run.exited;
    await produceEvents(batches[2]!);
    const alone = await settled([a]);
    await untilViewsEqual(url, definition, (await oracle(definition, events)).tables, PROJECTIONS, 120_000);
    const counts2 = await views(a);
    for (const projection of PROJECTIONS) {
      assert.deepEqual(written(alone[0]!.get(projection)), all, `${projection}: a writes every partition`);
      for (const p of written(before[1]!.get(projection)))
        assert.ok(
          (counts2.get(projection)!.batches[p] ?? 0) > (counts1[0]!.get(projection)!.batches[p] ?? 0),
          `${projection} partition ${p}: a committed batches after taking it over`,
        );
    }
    assert.ok(
      a.run.logs().some((l) => /view of balances: writing partitions \[0, 1, 2, 3\]/.test(String(l.msg))),
      'a logs that it writes every partition',
    );
    a.run.child.kill('SIGTERM');
    assert.deepEqual(await a.run.exited, { code: 0, signal: null }, a.run.stderr().slice(-2000));
    passed = true;
  },
);
