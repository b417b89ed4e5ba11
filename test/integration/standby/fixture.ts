// What the standby tests share: a one-projection application over many distinct keys (one deposit
// per account, so every key's row is known without an oracle), instances in this process or in a
// child process (to SIGKILL), a full sweep of every key and a sampler that queries keys of every
// partition continuously and records what each answer was.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Partitioners } from 'kafkajs';
import type { Definition } from '../../../projections/definition/schema.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { createTopics, kafka, uniqueTopic } from '../helpers.ts';

export interface Fixture {
  definition: Definition;
  topic: string;
  keys: string[];
  expected: (key: string) => { balance: number; events: number };
}

/** Keys the load writes to (startLoad): not part of the fixture's known rows. */
export const HOT = 'hot-';

export const amountOf = (i: number): number => (i % 997) + 1;

export function standbyDefinition(
  prefix: string,
  standbyReplicas: number,
  keys: number,
  processing = '',
): Fixture {
  const app = uniqueTopic(prefix).replaceAll('-', '_');
  const topic = `${app}-accounts`;
  const yaml = `
application: ${app}
processing: { standbyReplicas: ${standbyReplicas}, acceptableRecoveryLag: 1000${processing} }
sources:
  accounts: { topic: ${topic}, key: accountId, eventType: eventType, time: timestamp }
projections:
  totals:
    from: accounts
    aggregate:
      balance: { sum: { MoneyDeposited: amount } }
      events: { count: '*' }
`;
  const definition = parseConfig(yaml, 'standby.yaml', {});
  const all = Array.from({ length: keys }, (_, i) => `acct-${i}`);
  return {
    definition,
    topic,
    keys: all,
    expected: (key) => ({ balance: amountOf(Number(key.slice(5))), events: 1 }),
  };
}

/** Creates the source topic and produces one deposit per key. */
export async function seed(f: Fixture, partitions: number): Promise<void> {
  await createTopics([f.topic], { partitions, configs: { 'retention.ms': -1 } });
  const producer = kafka('streamfold-test-standby-seed').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let i = 0; i < f.keys.length; i += 5_000) {
      const messages = f.keys.slice(i, i + 5_000).map((key, j) => ({
        key,
        value: JSON.stringify({
          eventType: 'MoneyDeposited',
          accountId: key,
          amount: amountOf(i + j),
          timestamp: 1_700_000_000_000 + i + j,
        }),
      }));
      await producer.send({ topic: f.topic, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Deposits to HOT keys at about `perSecond`, until stopped: the instances work while tasks move. */
export function startLoad(f: Fixture, perSecond: number): { stop: () => Promise<number> } {
  const producer = kafka('streamfold-test-standby-load').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let running = true;
  let sent = 0;
  const loop = (async () => {
    await producer.connect();
    while (running) {
      const messages = Array.from({ length: Math.ceil(perSecond / 10) }, (_, i) => ({
        key: `${HOT}${(sent + i) % 500}`,
        value: JSON.stringify({ eventType: 'MoneyDeposited', amount: 1, timestamp: 1_700_000_000_000 }),
      }));
      await producer.send({ topic: f.topic, messages });
      sent += messages.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    await producer.disconnect();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}

export const keyUrl = (base: string, key: string, query = ''): string =>
  `${base}/projections/totals/keys/${encodeURIComponent(key)}${query}`;

/**
 * Every row through `base`, page by page (the rows route fans out to every owner): exactly the keys,
 * each with its row. Faster than a query per key; the key route itself is checked by the sampler.
 * A 503 (a rebalance) retries the page.
 */
export async function sweep(base: string, f: Fixture): Promise<number> {
  const t0 = Date.now();
  let seen = 0;
  let cursor: string | null = null;
  for (let retries = 0; ;) {
    const res = await fetch(`${base}/projections/totals/rows?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    const body = (await res.json()) as {
      rows?: Array<{ key: string; value: unknown }>;
      next?: string | null;
    };
    if (res.status === 503 && retries++ < 200) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    assert.equal(res.status, 200, JSON.stringify(body));
    for (const row of body.rows!) {
      if (row.key.startsWith(HOT)) continue; // the load's keys: their rows change
      assert.deepEqual(row.value, f.expected(row.key), row.key);
      seen++;
    }
    cursor = body.next ?? null;
    if (cursor === null) break;
  }
  assert.equal(seen, f.keys.length, 'every key has its row');
  return Date.now() - t0;
}

/** `perPartition` keys of each partition. */
export function sampleKeys(f: Fixture, partitions: number, perPartition: number): string[] {
  const byPartition = new Map<number, string[]>();
  for (const key of f.keys) {
    const list = byPartition.get(partitionOfKey(key, partitions)) ?? [];
    if (list.length < perPartition) byPartition.set(partitionOfKey(key, partitions), [...list, key]);
  }
  return [...byPartition.values()].flat();
}

export interface Answer {
  at: number;
  key: string;
  status: number;
  standby: boolean;
}

/**
 * Queries the sample keys round-robin over `bases` until stopped. Any answer other than 200 with the
 * right row or 503 (restoring / unavailable) fails the test at once: no wrong value, no false 404.
 */
export function startSampler(
  bases: () => string[],
  keys: string[],
  f: Fixture,
  query = '',
): { answers: Answer[]; stop: () => Promise<void> } {
  const answers: Answer[] = [];
  let running = true;
  // A few clients at once, each starting at its own place in the key list.
  const client = async (offset: number) => {
    for (let i = offset; running; i++) {
      const key = keys[i % keys.length]!;
      const list = bases();
      const base = list[i % list.length]!;
      const res = await fetch(keyUrl(base, key, query)).catch(() => null);
      if (!res) continue; // an instance being killed: not an answer
      const body = (await res.json()) as { value?: unknown; error?: string; standby?: boolean };
      answers.push({ at: Date.now(), key, status: res.status, standby: body.standby === true });
      if (res.status === 200) assert.deepEqual(body.value, f.expected(key), `${key}: wrong value`);
      else
        assert.ok(
          res.status === 503 && ['restoring', 'unavailable'].includes(body.error ?? ''),
          `${key}: ${res.status} ${JSON.stringify(body)}`,
        );
    }
  };
  const loop = Promise.all([0, 1, 2, 3].map((n) => client(n * 7)));
  return {
    answers,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** The longest time any key went without a 200, from its first non-200 answer to its next 200. */
export function longestGap(answers: Answer[]): { ms: number; key?: string } {
  const since = new Map<string, number>();
  let worst = { ms: 0 } as { ms: number; key?: string };
  for (const a of answers) {
    if (a.status !== 200) {
      if (!since.has(a.key)) since.set(a.key, a.at);
    } else if (since.has(a.key)) {
      const ms = a.at - since.get(a.key)!;
      if (ms > worst.ms) worst = { ms, key: a.key };
      since.delete(a.key);
    }
  }
  // Still without a 200 at the end: until the last answer.
  const end = answers.at(-1)?.at ?? 0;
  for (const [key, at] of since) if (end - at > worst.ms) worst = { ms: end - at, key };
  return worst;
}

/** An instance in a child process (test/integration/http/instance-process.ts), for SIGKILL. */
export async function spawnInstance(
  f: Fixture,
  dir: string,
  name: string,
  partitions: number,
): Promise<{ child: ChildProcess; url: string }> {
  const defFile = join(dir, `${name}-definition.json`);
  await writeFile(defFile, JSON.stringify(f.definition));
  const script = fileURLToPath(new URL('../http/instance-process.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, defFile, join(dir, name), String(partitions)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, STREAMFOLD_LOG_LEVEL: 'warn' },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /url (\S+)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`instance ${name} exited early (${code})`)));
  });
  return { child, url };
}

/** Polls until `check` holds. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
