// Two `streamfold run` processes with one application id split the tasks; when one is killed
// (SIGKILL) the other restores its tasks from the changelogs and carries on. Final tables equal the
// oracle for idempotent aggregates (latest): under at-least-once a killed instance's last records
// may be processed twice, which sums and counts would show (docs/runtime.md, "Caveats").
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { brokers, testDir } from '../helpers.ts';
import { type CliRun, cli } from './cli-process.ts';
import { createSources, oracle, outputTables, produceEvents, seedEvents, shopDefinition } from './harness.ts';

const dir = testDir('two');
const running: CliRun[] = [];
after(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

/** The tasks of the member's latest group join. */
function tasksOf(run: CliRun): number[] {
  const joins = run.logs().filter((l) => l.msg === 'joined the group');
  return (joins.at(-1)?.tasks as number[] | undefined) ?? [];
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 45_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Only the fields that at-least-once cannot double: latest values, never sums or counts. */
function idempotentView(tables: Map<string, Map<string, unknown>>) {
  const pick = (name: string, fields: string[]) =>
    Object.fromEntries(
      [...(tables.get(name) ?? new Map<string, unknown>())]
        .map(
          ([k, v]) =>
            [k, Object.fromEntries(fields.map((f) => [f, (v as Record<string, unknown>)[f]]))] as const,
        )
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  return {
    customer_profiles: pick('customer_profiles', ['name', 'tier']),
    balances: pick('balances', ['owner']),
    order_summary: pick('order_summary', ['customerId']),
  };
}

test(
  'two processes split the tasks; killing one hands its tasks to the other',
  { timeout: 120_000 },
  async () => {
    const shop = shopDefinition('two');
    await createSources(shop, 3);
    const file = join(dir, 'two.yaml');
    await writeFile(file, stringify(shop.definition));
    const events = seedEvents(shop, 3_000, 5);
    await produceEvents(events.slice(0, 1_500));

    const start = (name: string) => {
      const run = cli([
        'run',
        '-c',
        file,
        '--brokers',
        brokers().join(','),
        '--state-dir',
        join(dir, name),
        '--no-http',
      ]);
      running.push(run);
      return run;
    };
    const a = start('a');
    await until(
      'a to run every task',
      () => a.logs().filter((l) => /^task \d running$/.test(String(l.msg))).length === 3,
    );
    const b = start('b');
    await until('the two to split the tasks', () => {
      const ta = tasksOf(a);
      const tb = tasksOf(b);
      return ta.length > 0 && tb.length > 0 && [...ta, ...tb].sort().join() === '0,1,2';
    });
    const bTasks = tasksOf(b);
    await until('b to run its tasks', () =>
      bTasks.every((t) => b.logs().some((l) => l.msg === `task ${t} running`)),
    );
    await produceEvents(events.slice(1_500, 2_200));
    // Let b commit some of the new events, then kill it without a chance to commit or leave.
    await new Promise((r) => setTimeout(r, 1_500));
    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    await b.exited;
    await produceEvents(events.slice(2_200));

    await until('a to take over every task', () => tasksOf(a).length === 3, 60_000);
    for (const t of bTasks) {
      const restored = await a.waitForLog(
        (l) =>
          l.task === t && /restored \d+ changelog records/.test(String(l.msg)) && Number(l.time) > killedAt,
      );
      assert.ok(Number(restored.records) > 0, `task ${t} was restored from its changelogs`);
    }
    const expected = idempotentView((await oracle(shop.definition, events)).tables);
    await until(
      'the tables to match the oracle',
      async () =>
        JSON.stringify(idempotentView(await outputTables(shop.definition))) === JSON.stringify(expected),
      60_000,
    ).catch(async (err: Error) => {
      assert.deepEqual(idempotentView(await outputTables(shop.definition)), expected, err.message);
    });
    a.child.kill('SIGTERM');
    assert.equal((await a.exited).code, 0);
  },
);
