// Two `streamfold run` processes of one shop application with HTTP and a bearer token, for the
// change feed tests: started, their endpoints read from what they print, and the oracle and the
// output topics' committed records to compare the feeds with.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';
import { brokers, readToEnd, type ReadRecord } from '../helpers.ts';
import { type CliRun, cli } from '../runtime/cli-process.ts';
import { createSources, shopDefinition, type ShopApp } from '../runtime/harness.ts';

export const TOKEN = 'feeds-test-token';

export interface Instance {
  run: CliRun;
  url: string;
}

export interface TwoInstances {
  shop: ShopApp;
  a: Instance;
  b: Instance;
  auth: Record<string, string>;
}

/** Starts two instances (3 tasks split between them); killed after the calling test file. */
export async function startTwoInstances(
  dir: string,
  env: Record<string, string> = {},
): Promise<TwoInstances> {
  const shop = shopDefinition('feeds');
  await createSources(shop, 3);
  const file = join(dir, 'feeds.yaml');
  await writeFile(file, stringify(shop.definition));
  const start = async (name: string): Promise<Instance> => {
    const run = cli(
      [
        'run',
        '-c',
        file,
        '--brokers',
        brokers().join(','),
        '--state-dir',
        join(dir, name),
        '--http-port',
        '0',
      ],
      { STREAMFOLD_HTTP_TOKEN: TOKEN, ...env },
    );
    after(() => {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    });
    const url = await until(`${name} to announce its endpoint`, () => {
      const m = /dashboard +(http:\/\/127\.0\.0\.1:\d+)\/dashboard\//.exec(run.stdout());
      if (run.child.exitCode !== null) throw new Error(`${name} exited:\n${run.stderr()}`);
      return m?.[1];
    });
    return { run, url };
  };
  const a = await start('a');
  const b = await start('b');
  await until('both instances to run tasks', async () => {
    const ready = await Promise.all(
      [a, b].map((i) => fetch(`${i.url}/readyz`).then((r) => r.status === 200)),
    );
    return ready.every(Boolean) && tasksOf(a.run).length > 0 && tasksOf(b.run).length > 0 ? true : undefined;
  });
  return { shop, a, b, auth: { authorization: `Bearer ${TOKEN}` } };
}

function tasksOf(run: CliRun): number[] {
  const joins = run.logs().filter((l) => l.msg === 'joined the group');
  return (joins.at(-1)?.tasks as number[] | undefined) ?? [];
}

export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The committed records of a projection's output topic, per partition in offset order. */
export async function committedRecords(topic: string): Promise<ReadRecord[]> {
  return (await readToEnd(topic)).sort((x, y) => x.partition - y.partition || x.offset - y.offset);
}
