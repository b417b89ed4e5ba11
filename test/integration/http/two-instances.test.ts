// Two real instances of one application on the local broker, each serving the query API over its
// own tasks (instance.ts):
// - every key of the oracle table comes back identically from either instance, and paginated
//   scans alternating between them neither miss nor repeat a row;
// - a query with minOffset beyond the current position waits, then answers with the new event;
// - after one instance stops (gracefully, or killed with SIGKILL) the other serves every key,
//   answering only 200 or 503 meanwhile: never a wrong value, never a false 404.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { kafka, testDir } from '../helpers.ts';
import {
  createSources,
  oracle,
  produceEvents,
  type SeedEvent,
  seedEvents,
  type ShopApp,
  shopDefinition,
  waitCaughtUp,
} from '../runtime/harness.ts';
import { type Instance, startInstance, totalsProjection } from './instance.ts';

const PARTITIONS = 3;
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const dir = testDir('http');

async function setup(
  prefix: string,
): Promise<{ shop: ShopApp; events: SeedEvent[]; expected: Map<string, unknown> }> {
  const base = shopDefinition(prefix);
  const shop = { ...base, definition: { ...base.definition, projections: totalsProjection() } };
  await createSources(shop, PARTITIONS);
  const events = seedEvents(shop, 2_000);
  await produceEvents(events);
  const expected = (await oracle(shop.definition, events)).tables.get('totals')!;
  assert.ok(expected.size > 20);
  return { shop, events, expected };
}

async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

const keyPath = (key: string) => `/projections/totals/keys/${encodeURIComponent(key)}`;

async function waitOwned(instance: Instance, urls: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const o = instance.ownership();
    if (
      o?.stable &&
      o.endpoints.size === PARTITIONS &&
      [...o.endpoints.values()].every((e) => e !== null && urls.includes(e)) &&
      // each instance runs tasks: a joining one only after its warm-ups caught up (a probing rebalance)
      urls.every((u) => [...o.endpoints.values()].includes(u))
    )
      return;
    if (Date.now() > deadline)
      throw new Error(`ownership not settled: ${JSON.stringify(o && [...o.endpoints])}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls every key on `url` until each answers 200 with its oracle row; only 200 and 503 are allowed. */
async function serveAll(
  url: string,
  expected: Map<string, unknown>,
  timeoutMs: number,
): Promise<{ ms: number; answers: string }> {
  const t0 = Date.now();
  const pending = new Set(expected.keys());
  const answers = new Map<number, number>();
  while (pending.size > 0) {
    assert.ok(Date.now() - t0 < timeoutMs, `${pending.size} keys still unserved after ${timeoutMs} ms`);
    for (const key of [...pending]) {
      const r = await get(url + keyPath(key));
      answers.set(r.status, (answers.get(r.status) ?? 0) + 1);
      assert.ok(r.status === 200 || r.status === 503, `${key}: ${r.status} ${JSON.stringify(r.body)}`);
      if (r.status === 503)
        assert.ok(['restoring', 'unavailable'].includes(r.body.error), JSON.stringify(r.body));
      if (r.status === 200) {
        assert.deepEqual(r.body.value, asJson(expected.get(key)), key);
        pending.delete(key);
      }
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 200));
  }
  return { ms: Date.now() - t0, answers: JSON.stringify([...answers]) };
}

test(
  'two instances answer every key and every page identically; freshness; one stops, the other serves all',
  { timeout: 150_000 },
  async () => {
    const { shop, expected } = await setup('http2');
    const a = await startInstance(shop.definition, join(dir, 'a'), PARTITIONS);
    const b = await startInstance(shop.definition, join(dir, 'b'), PARTITIONS);
    let stoppedB = false;
    try {
      await waitCaughtUp(a.app);
      await waitCaughtUp(b.app);
      await waitOwned(a, [a.url, b.url]);
      await waitOwned(b, [a.url, b.url]);
      assert.ok(a.app.taskIds().length > 0 && b.app.taskIds().length > 0, 'both instances own tasks');

      for (const [key, row] of expected) {
        const [fromA, fromB] = await Promise.all([get(a.url + keyPath(key)), get(b.url + keyPath(key))]);
        assert.equal(fromA.status, 200, `${key} from A`);
        assert.equal(fromB.status, 200, `${key} from B`);
        assert.deepEqual(fromA.body.value, asJson(row), key);
        assert.deepEqual(fromA.body, fromB.body, key);
      }

      const sorted = [...expected.keys()].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; ; page++) {
        const base = page % 2 === 0 ? a.url : b.url;
        const r: { status: number; body: any } = await get(
          `${base}/projections/totals/rows?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(r.status, 200);
        seen.push(...r.body.rows.map((x: { key: string }) => x.key));
        cursor = r.body.next;
        if (cursor === null) break;
      }
      assert.deepEqual(seen, sorted);

      // Read-your-writes: a deposit's offset as minOffset; the answer includes it, from either instance.
      // Its event time stays near the seed's: the broker refuses output records stamped far in the future.
      const key = sorted[0]!;
      const before = expected.get(key) as { balance: number; events: number };
      const producer = kafka('streamfold-test-http-producer').producer({
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      const [meta] = await producer.send({
        topic: shop.topics.accounts,
        messages: [
          {
            key,
            value: JSON.stringify({
              eventType: 'MoneyDeposited',
              accountId: key,
              amount: 1000,
              eventId: 'fresh-1',
              timestamp: 1_700_000_030_000,
            }),
          },
        ],
      });
      await producer.disconnect();
      const fresh = `?minOffset=${meta!.partition}:${meta!.baseOffset}&timeoutMs=10000`;
      for (const base of [a.url, b.url]) {
        const r = await get(base + keyPath(key) + fresh);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body.value, { balance: before.balance + 1000, events: before.events + 1 });
      }
      expected.set(key, { balance: before.balance + 1000, events: before.events + 1 });
      const late = await get(
        `${a.url}${keyPath(key)}?minOffset=${meta!.partition}:${Number(meta!.baseOffset) + 100}&timeoutMs=200`,
      );
      assert.equal(late.status, 503);
      assert.equal(late.body.error, 'not_fresh');

      // B leaves; A takes over its tasks (restoring them from the changelogs) and serves every key.
      await b.stop();
      stoppedB = true;
      const { ms, answers } = await serveAll(a.url, expected, 60_000);
      assert.equal(a.app.taskIds().length, PARTITIONS);
      console.log(`after B stopped, A served every key within ${ms} ms (answers: ${answers})`);
    } finally {
      await a.stop();
      if (!stoppedB) await b.stop();
    }
  },
);

test(
  'after an instance is killed (SIGKILL), the other serves every key within session timeout + restore',
  { timeout: 150_000 },
  async () => {
    const { shop, expected } = await setup('http2kill');
    const defFile = join(dir, 'kill-definition.json');
    await writeFile(defFile, JSON.stringify(shop.definition));
    const a = await startInstance(shop.definition, join(dir, 'kill-a'), PARTITIONS);
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(new URL('./instance-process.ts', import.meta.url)),
          defFile,
          join(dir, 'kill-b'),
          String(PARTITIONS),
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const urlB = await new Promise<string>((resolve, reject) => {
        let out = '';
        child!.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /url (\S+)\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child!.on('exit', (code) => reject(new Error(`instance exited early (${code})`)));
      });
      await waitOwned(a, [a.url, urlB]);
      // Both serve every key (B's tasks caught up) before the kill.
      await serveAll(a.url, expected, 60_000);
      await serveAll(urlB, expected, 60_000);
      assert.ok(a.app.taskIds().length < PARTITIONS, 'the other instance owns tasks');

      child.kill('SIGKILL');
      const { ms, answers } = await serveAll(a.url, expected, 60_000);
      assert.equal(a.app.taskIds().length, PARTITIONS);
      console.log(
        `after B was killed, A served every key within ${ms} ms (session timeout 6 s; answers: ${answers})`,
      );
    } finally {
      child?.kill('SIGKILL');
      await a.stop();
    }
  },
);
