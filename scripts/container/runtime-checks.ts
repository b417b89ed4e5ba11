// The checks run against the built image and a test broker: the example's events produced by the
// image's own `streamfold generate`, then `streamfold run` (the image's default command) with the
// state on a named volume, stopped, and started again on the same volume. Every container runs with
// the host's network and binds its HTTP API to 127.0.0.1.
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { docker, dockerOrThrow, type Engine, lastLines } from './engine.ts';
import { type AccountRow, expectedBalances } from './expected-balances.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

export interface RuntimeCheckOptions {
  engine: Engine;
  image: string;
  brokers: string;
  /** The PostgreSQL the example's `balances` view writes to (the image holds no database server). */
  postgresUrl: string;
  httpPort: number;
  /** Prefix of the containers and the volume, unique to this run. */
  prefix: string;
  events: number;
  seed: string;
  stopGraceSeconds: number;
}

const STATE_DIR = '/var/lib/streamfold';
/** projections.yaml's application id: the prefix of its internal topics. */
const APPLICATION = 'shop';
const READY_TIMEOUT_MS = 120_000;
const SAMPLE_KEYS = 5;

/** A named check: its outcome with how long it took; an exception is a FAIL with its message. */
async function timed(name: string, body: () => Promise<string>): Promise<CheckResult> {
  const t0 = Date.now();
  try {
    return { name, ok: true, detail: await body(), ms: Date.now() - t0 };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, ms: Date.now() - t0 };
  }
}

export async function runtimeChecks(
  o: RuntimeCheckOptions,
  report: (r: CheckResult) => void,
): Promise<boolean> {
  const volume = `${o.prefix}-state`;
  const first = `${o.prefix}-run1`;
  const second = `${o.prefix}-run2`;
  const base = `http://127.0.0.1:${o.httpPort}`;
  let allOk = true;
  const check = async (name: string, body: () => Promise<string>) => {
    const r = await timed(name, body);
    report(r);
    allOk &&= r.ok;
    return r.ok;
  };
  const startRun = (name: string) =>
    dockerOrThrow(o.engine, [
      'run',
      '--detach',
      // As compose's `restart: unless-stopped` would: a failed first start is retried, and reported
      // (see startFailures). `docker stop` does not trigger it.
      '--restart',
      'on-failure:3',
      '--name',
      name,
      '--network',
      'host',
      '--env',
      `KAFKA_BROKERS=${o.brokers}`,
      '--env',
      `STREAMFOLD_POSTGRES_URL=${o.postgresUrl}`,
      '--env',
      'STREAMFOLD_HTTP_HOST=127.0.0.1',
      '--env',
      `STREAMFOLD_HTTP_PORT=${o.httpPort}`,
      '--volume',
      `${volume}:${STATE_DIR}`,
      o.image,
    ]);

  try {
    dockerOrThrow(o.engine, ['volume', 'create', volume]);
    const expected = expectedBalances(o.seed, o.events);
    const sample = [...expected.keys()].sort().slice(0, SAMPLE_KEYS);

    await check('readyz and a query from the example', async () => {
      const gen = docker(
        o.engine,
        ['run', '--rm', '--network', 'host', '--env', `KAFKA_BROKERS=${o.brokers}`, o.image].concat([
          'generate',
          '--count',
          String(o.events),
          '--rate',
          '0',
          '--seed',
          o.seed,
        ]),
        180_000,
      );
      if (gen.code !== 0)
        throw new Error(`generate in the image exited ${gen.code}: ${lastLines(gen.stderr)}`);
      startRun(first);
      const readyMs = await waitReady(o.engine, first, base);
      const rows = await waitForRows(base, sample, expected);
      const [key, row] = [sample[0]!, rows[0]!];
      return (
        `${o.events} events produced by the image's generate; /readyz 200 after ${seconds(readyMs)}` +
        `${startFailures(o.engine, first)}; ` +
        `${sample.length} balances rows equal the produced events, e.g. ${key} = ${JSON.stringify(row)}`
      );
    });

    await check('runs as non-root (uid 1000)', async () => {
      const status = dockerOrThrow(o.engine, ['exec', first, 'cat', '/proc/1/status']);
      const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
      const user = dockerOrThrow(o.engine, ['exec', first, 'id', '-un']).trim();
      if (uids.length === 0 || uids.some((u) => u !== '1000'))
        throw new Error(`PID 1 runs with uids ${uids.join('/') || '?'} (user ${user})`);
      return `PID 1 (streamfold run) has real/effective/saved/fs uid 1000 (${user})`;
    });

    const stopped = await check(
      `docker stop within the ${o.stopGraceSeconds} s grace, state kept`,
      async () => {
        const t0 = Date.now();
        dockerOrThrow(
          o.engine,
          ['stop', '--time', String(o.stopGraceSeconds), first],
          (o.stopGraceSeconds + 30) * 1000,
        );
        const took = Date.now() - t0;
        const exitCode = dockerOrThrow(o.engine, [
          'inspect',
          '--format',
          '{{.State.ExitCode}}',
          first,
        ]).trim();
        const files = dockerOrThrow(o.engine, [
          'run',
          '--rm',
          '--entrypoint',
          'find',
          '--volume',
          `${volume}:${STATE_DIR}`,
          o.image,
          STATE_DIR,
          '-type',
          'f',
        ])
          .trim()
          .split('\n')
          .filter(Boolean);
        const stores = files.filter((f) => f.endsWith('/CURRENT')).length;
        const problems = [];
        if (took >= o.stopGraceSeconds * 1000)
          problems.push(`took ${seconds(took)} (killed at the grace's end)`);
        if (exitCode !== '0') problems.push(`exit code ${exitCode}`);
        if (stores === 0) problems.push(`no LevelDB store under ${STATE_DIR} (${files.length} files)`);
        if (problems.length > 0) throw new Error(problems.join('; '));
        return `stopped in ${seconds(took)}, exit code 0; ${files.length} files, ${stores} LevelDB stores on the volume`;
      },
    );

    await check('restart restores from the state volume, not from offset 0', async () => {
      if (!stopped) throw new Error('not run: the stop check failed');
      startRun(second);
      const readyMs = await waitReady(o.engine, second, base);
      const logs = docker(o.engine, ['logs', second]);
      const restores = restoreLines(`${logs.stdout}\n${logs.stderr}`);
      const restored = restores.reduce((n, r) => n + r.records, 0);
      const rebuilt = restores.filter((r) => r.rebuilt);
      const rows = await storeRows(base);
      const inChangelogs = await changelogRecords(o.brokers);
      await waitForRows(base, sample, expected);
      if (restores.length === 0) throw new Error('no "task N restored" line in the log');
      if (rebuilt.length > 0)
        throw new Error(
          `tasks ${rebuilt.map((r) => r.task).join(', ')} rebuilt their stores from offset 0 ` +
            `(restored ${restored} of ${inChangelogs} changelog records)`,
        );
      // From offset 0 every changelog record would be read again: at least one per row.
      if (rows === 0 || restored * 10 > Math.min(rows, inChangelogs))
        throw new Error(
          `restored ${restored} of ${inChangelogs} changelog records, for ${rows} rows in the stores`,
        );
      return (
        `${restores.length} tasks restored ${restored} of the ${inChangelogs} records in the changelogs ` +
        `(offset 0 would read them all) for the ${rows} rows in the stores; ` +
        `/readyz 200 after ${seconds(readyMs)}${startFailures(o.engine, second)}; the sampled rows unchanged`
      );
    });
  } finally {
    for (const name of [first, second]) docker(o.engine, ['rm', '--force', '--volumes', name]);
    const volumes = docker(o.engine, ['volume', 'ls', '--quiet', '--filter', `name=${o.prefix}`]).stdout;
    for (const name of volumes.split('\n').filter(Boolean))
      docker(o.engine, ['volume', 'rm', '--force', name]);
  }
  return allOk;
}

/** Polls /readyz until 200; fails early when the container exits. Returns the time it took. */
async function waitReady(engine: Engine, container: string, base: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const res = await fetch(`${base}/readyz`).catch(() => undefined);
    if (res?.status === 200) return Date.now() - t0;
    const state = docker(engine, [
      'inspect',
      '--format',
      '{{.State.Status}} {{.State.ExitCode}}',
      container,
    ]).stdout.trim();
    if (!state.startsWith('running') && !state.startsWith('restarting')) {
      const logs = docker(engine, ['logs', '--tail', '5', container]);
      throw new Error(`container ${state}: ${lastLines(logs.stdout + logs.stderr)}`);
    }
    if (Date.now() - t0 > READY_TIMEOUT_MS)
      throw new Error(`/readyz not 200 after ${seconds(READY_TIMEOUT_MS)} (last ${res?.status})`);
    await sleep(250);
  }
}

/**
 * Failed starts the restart policy retried, with their errors: shown, not hidden (a race on a fresh
 * broker, "This server does not host this topic-partition" right after the internal topics were
 * created, was seen here before the runtime waited for new topics to be served). Empty when the
 * first start succeeded.
 */
function startFailures(engine: Engine, container: string): string {
  const restarts = docker(engine, ['inspect', '--format', '{{.RestartCount}}', container]).stdout.trim();
  if (restarts === '0' || restarts === '') return '';
  const logs = docker(engine, ['logs', container]);
  const errors = `${logs.stdout}\n${logs.stderr}`
    .split('\n')
    .filter((line) => line.includes('"start failed"'))
    .map((line) => /"err":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 200));
  return ` (WARNING: restarted ${restarts} time(s) after a failed start: ${errors.join(' | ')})`;
}

/** Polls the sampled balances rows until each equals the oracle (processing may still be catching up). */
async function waitForRows(
  base: string,
  keys: string[],
  expected: Map<string, AccountRow>,
): Promise<unknown[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await Promise.all(
      keys.map(async (key) => {
        const res = await fetch(`${base}/projections/balances/keys/${encodeURIComponent(key)}`);
        return res.ok ? ((await res.json()) as { value: unknown }).value : `HTTP ${res.status}`;
      }),
    );
    const wrong = keys.findIndex((key, i) => !sameRow(got[i], expected.get(key)!));
    if (wrong < 0) return got;
    if (Date.now() > deadline)
      throw new Error(
        `balances/${keys[wrong]} is ${JSON.stringify(got[wrong])}, expected ${JSON.stringify(expected.get(keys[wrong]!))}`,
      );
    await sleep(500);
  }
}

function sameRow(got: unknown, want: AccountRow): boolean {
  if (typeof got !== 'object' || got === null) return false;
  const row = got as Partial<AccountRow>;
  return (
    typeof row.balance === 'number' &&
    Math.abs(row.balance - want.balance) < 1e-6 &&
    row.deposits === want.deposits &&
    row.owner === want.owner
  );
}

/** Rows over every local store, from /metrics (streamfold_store_rows; sampled, so polled a while). */
async function storeRows(base: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    let rows = 0;
    for (const m of text.matchAll(/^streamfold_store_rows\{[^}]*\} (\d+(?:\.\d+)?)/gm)) rows += Number(m[1]);
    if (rows > 0 || Date.now() > deadline) return rows;
    await sleep(500);
  }
}

/** Records in the application's changelog topics: what a restore from offset 0 would read. */
async function changelogRecords(brokers: string): Promise<number> {
  const admin = new Kafka({
    clientId: 'streamfold-container-check',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter(
      (t) => t.startsWith(`${APPLICATION}-`) && t.endsWith('-changelog'),
    );
    let records = 0;
    for (const topic of topics)
      for (const p of await admin.fetchTopicOffsets(topic)) records += Number(p.high) - Number(p.low);
    return records;
  } finally {
    await admin.disconnect();
  }
}

/** The restore summaries of a run's JSON log: `task N restored R changelog records in M ms`. */
function restoreLines(log: string): Array<{ task: number; records: number; rebuilt: boolean }> {
  const out = [];
  for (const line of log.split('\n')) {
    if (!line.includes('changelog records in')) continue;
    try {
      const entry = JSON.parse(line) as { task?: number; records?: number; rebuilt?: unknown };
      if (typeof entry.records === 'number')
        out.push({ task: entry.task ?? -1, records: entry.records, rebuilt: entry.rebuilt !== undefined });
    } catch {
      // not a JSON log line
    }
  }
  return out;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
