// `streamfold run --workers 2`: two worker processes split the tasks behind one HTTP port, every
// key answers through that port whichever worker owns it, a killed worker is restarted by the
// supervisor, and a SIGTERM stops them all. Exactly-once, so the final tables equal the oracle.
// A cold start opens no task twice (the first worker to join waits for the other), and a second
// start gives each task back to the worker whose copy on disk is up to date: it restores nothing.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { brokers, testDir } from '../helpers.ts';
import { cli, killAll, outputOfAll } from './cli-process.ts';
import {
  createSources,
  oracle,
  outputTables,
  plain,
  produceEvents,
  seedEvents,
  shopDefinition,
} from './harness.ts';

const dir = testDir('workers');
after(killAll);

interface Workers {
  workers: Array<{ index: number; pid: number; endpoint: string }>;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}\n${outputOfAll().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test(
  'two workers behind one port: split tasks, forwarded keys, a restarted worker, one stop',
  { timeout: 240_000 },
  async () => {
    const shop = shopDefinition('workers', {
      processing: { guarantee: 'exactly_once', commitIntervalMs: 100 },
    } as never);
    await createSources(shop, 4);
    const file = join(dir, 'workers.yaml');
    await writeFile(file, stringify(shop.definition));
    const events = seedEvents(shop, 2_000, 11);
    await produceEvents(events.slice(0, 1_200));

    const startWorkers = async () => {
      const started = cli([
        'run',
        '-c',
        file,
        '--brokers',
        brokers().join(','),
        '--state-dir',
        dir,
        '--workers',
        '2',
      ]);
      const log = await started.waitForLog((l) => /^running 2 workers/.test(String(l.msg)), 60_000);
      return { run: started, url: String(log.http) };
    };
    const { run, url } = await startWorkers();
    const listed = () =>
      until('both workers to run', async () => {
        const res = await fetch(`${url}/workers`);
        const body = (await res.json()) as Workers;
        return body.workers.length === 2 ? body.workers : undefined;
      });
    const first = await listed();
    assert.notEqual(first[0]!.pid, first[1]!.pid);
    assert.notEqual(first[0]!.endpoint, first[1]!.endpoint);

    // Each worker owns some tasks (the supervisor runs none): the last two joins split all four.
    await until('the workers to split the tasks', async () => {
      const joins = run.logs().filter((l) => l.msg === 'joined the group');
      const [a, b] = joins.slice(-2).map((l) => (l.tasks as number[]) ?? []);
      if (!a?.length || !b?.length) return undefined;
      return [...a, ...b].sort().join() === '0,1,2,3' ? true : undefined;
    });
    const revokedAtStart = run.logs().filter((l) => /closed \(revoked\)/.test(String(l.msg)));
    assert.deepEqual(revokedAtStart, [], 'a cold start hands no task from one worker to the other');

    const expectedAt = async (count: number) =>
      (await oracle(shop.definition, events.slice(0, count))).tables;
    const answersEveryKey = async (tables: Map<string, Map<string, unknown>>, at = url) => {
      const profiles = tables.get('customer_profiles')!;
      for (const [key, row] of profiles) {
        const res = await fetch(`${at}/projections/customer_profiles/keys/${encodeURIComponent(key)}`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as { value: unknown };
        if (JSON.stringify(body.value) !== JSON.stringify(row)) return undefined;
      }
      return true;
    };
    const early = await expectedAt(1_200);
    await until('every key to answer through the one port', () => answersEveryKey(early));

    // A worker dies: the supervisor starts it again, and every key answers again.
    process.kill(first[1]!.pid, 'SIGKILL');
    const second = await until('worker 1 to be restarted', async () => {
      const res = await fetch(`${url}/workers`);
      const body = (await res.json()) as Workers;
      const w1 = body.workers.find((w) => w.index === 1);
      return w1 && w1.pid !== first[1]!.pid && body.workers.length === 2 ? body.workers : undefined;
    });
    assert.equal(second.find((w) => w.index === 0)!.pid, first[0]!.pid, 'worker 0 kept running');
    await produceEvents(events.slice(1_200));
    const final = await expectedAt(events.length);
    await until('every key to answer after the restart', () => answersEveryKey(final));
    await until('the output topics to equal the oracle', async () =>
      JSON.stringify(plain(await outputTables(shop.definition))) === JSON.stringify(plain(final))
        ? true
        : undefined,
    ).catch(async (err: Error) => {
      assert.deepEqual(plain(await outputTables(shop.definition)), plain(final), err.message);
    });

    run.child.kill('SIGTERM');
    assert.equal((await run.exited).code, 0);
    for (const w of second)
      assert.equal(alive(w.pid), false, `worker ${w.index} stopped with the supervisor`);

    // Started again on the same state: every task goes to the worker that ran it last.
    const again = await startWorkers();
    const restored = await until('all four tasks restored', async () => {
      const lines = again.run.logs().filter((l) => /^task \d+ restored/.test(String(l.msg)));
      return lines.length >= 4 ? lines.map((l) => String(l.msg)) : undefined;
    });
    for (const line of restored) assert.match(line, /restored 0 changelog records/, restored.join('\n'));
    await until('every key to answer after the second start', () => answersEveryKey(final, again.url));
    again.run.child.kill('SIGTERM');
    assert.equal((await again.run.exited).code, 0);
  },
);
