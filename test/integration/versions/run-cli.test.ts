// Blue/green through the real CLI: `streamfold run` (a child process) serves balances v1; it is
// restarted with v2 (balances in cents), which builds in its own group while v1 answers, and the
// process switches queries by itself once v2 caught up; `streamfold status` shows both versions;
// after one more restart `streamfold cleanup` removes v1 while v2 serves.
//
// A poller reads the whole table and one key throughout. Every answer is complete v1 or complete
// v2, never mixed, v1 before v2 and never back. The only failed or partial answers allowed are
// while the single process restarts: from its SIGTERM until the new process answers completely
// (nothing serves in between; docs/versions.md "Deploying").
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { cli, type CliRun, killAll, outputOfAll } from '../runtime/cli-process.ts';
import { createTopic, kafka, produce, readToEnd, uniqueTopic } from '../helpers.ts';
import { balancesDefinition, depositEvents } from './balances-fixture.ts';

const ACCOUNTS = 30;
const EVENTS = 6000;
const dir = mkdtempSync(join(tmpdir(), 'streamfold-run-versions-'));
const stateDir = join(dir, 'state');
let passed = false;
/** Stops the poller of a failed test (its loop would keep the test process alive). */
let haltPolling = () => {};
// Whatever happened, no child outlives the test (a stalled `run` would keep the test process alive);
// on failure, every child's output first: their logs say what a stalled process was doing.
after(async () => {
  if (!passed) process.stderr.write(`\n${outputOfAll()}\n`);
  haltPolling();
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

const app = uniqueTopic('runbg').replaceAll('-', '_');
const topic = `${app}-accounts`;
const files = { 1: join(dir, 'v1.yaml'), 2: join(dir, 'v2.yaml') };
for (const version of [1, 2] as const)
  writeFileSync(files[version], stringify(balancesDefinition(app, topic, version)));

const { events, expected } = depositEvents(EVENTS, ACCOUNTS);

type Answer = 'v1' | 'v2';
const v2Row = (key: string) => {
  const e = expected.get(key)!;
  return { cents: e.balance * 100, deposits: e.deposits };
};

/** One value: which version it is; throws when it is neither exactly. */
function versionOf(key: string, value: Record<string, unknown>): Answer {
  const v1 = 'balance' in value;
  assert.deepEqual(value, v1 ? expected.get(key) : v2Row(key), `row ${key}`);
  return v1 ? 'v1' : 'v2';
}

/** A whole-table answer: its version, or 'partial' (fewer rows); throws on a mixed answer. */
function classify(rows: Array<{ key: string; value: Record<string, unknown> }>): Answer | 'partial' {
  const versions = new Set(rows.map((r) => versionOf(r.key, r.value)));
  assert.ok(versions.size <= 1, `one version per answer, got ${[...versions].join(' and ')}`);
  return rows.length === ACCOUNTS ? [...versions][0]! : 'partial';
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.json() };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 40_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One `streamfold run` process and the URL it serves at (it binds a free port). */
async function start(version: 1 | 2): Promise<{ run: CliRun; url: string }> {
  const run = cli(['run', '-c', files[version], '--state-dir', stateDir]);
  const url = await until('the served URL', async () => {
    if (run.child.exitCode !== null) throw new Error(`run exited: ${run.stderr().slice(-2000)}`);
    return /dashboard {2}(http:\/\/\S+)\/dashboard\//.exec(run.stdout())?.[1];
  });
  return { run, url };
}

async function stop(run: CliRun): Promise<void> {
  run.child.kill('SIGTERM');
  assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr().slice(-2000));
}

/**
 * Reads the table and one key every 20 ms from the current process. While `restarting`, failures
 * and partial answers are counted (the gap); otherwise every answer must be 200 and complete.
 * Mixed answers are never allowed.
 */
function poller() {
  const state = {
    url: '',
    restarting: true,
    gapAnswers: 0,
    gapMs: [] as number[],
    process: 0,
    /** Why the last answer failed (for the report when a process never answers). */
    lastFailure: '',
    /** Answers asked of a process before restarting() and received after. */
    lateAnswers: 0,
    /** Answers whose table read was v1 and key read v2: the switch fell between them. */
    straddled: 0,
  };
  /** Per process: its answers, in order. */
  const byProcess: Answer[][] = [];
  const seen: Answer[] = [];
  let running = true;
  haltPolling = () => (running = false);
  let gapStart = Date.now();
  const failed = (why: string): 'failed' => {
    state.lastFailure = `${new Date().toISOString()} ${why}`;
    return 'failed';
  };
  const describe = (r: { status: number; body: unknown } | Error) =>
    r instanceof Error ? r.message : `${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
  const answer = async (url: string): Promise<Answer | 'failed'> => {
    const table = await getJson(`${url}/projections/balances/rows?limit=1000`).catch((e: Error) => e);
    if (table instanceof Error || table.status !== 200) return failed(`table: ${describe(table)}`);
    const whole = classify(table.body.rows);
    if (whole === 'partial') return failed(`table: ${table.body.rows.length} rows`);
    const one = await getJson(`${url}/projections/balances/keys/a1`).catch((e: Error) => e);
    if (one instanceof Error || one.status !== 200) return failed(`key a1: ${describe(one)}`);
    const key = versionOf('a1', one.body.value);
    // Two requests: the switch may fall between them (each is wholly one version), never back.
    if (whole === 'v1' && key === 'v2') {
      state.straddled++;
      return 'v2';
    }
    assert.equal(key, whole, 'the key answers like the table did');
    return whole;
  };
  /** Bumped by restarting(): an answer asked before belongs to the process being stopped. */
  let epoch = 0;
  const done = (async () => {
    while (running) {
      const askedIn = epoch;
      const askedOf = state.process;
      const a = state.url ? await answer(state.url) : 'failed';
      if (askedIn !== epoch) {
        // Asked of the previous process before restarting(), answered after: it still served then
        // (a failure is its stop). It neither ends the gap nor may fail the check below.
        state.lateAnswers++;
        if (a !== 'failed') {
          seen.push(a);
          (byProcess[askedOf] ??= []).push(a);
        }
      } else if (a === 'failed') {
        assert.ok(
          state.restarting,
          `no failed or partial answer while a process serves (${state.url}): ${state.lastFailure}`,
        );
        state.gapAnswers++;
      } else {
        if (state.restarting) {
          state.gapMs.push(Date.now() - gapStart);
          state.restarting = false;
        }
        seen.push(a);
        (byProcess[state.process] ??= []).push(a);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  let failure: Error | undefined;
  done.catch((err: unknown) => {
    failure = err instanceof Error ? err : new Error(String(err));
    // When, to line it up with the processes' logs.
    failure.message = `at ${new Date().toISOString()} (process ${state.process}): ${failure.message}`;
  });
  return {
    seen,
    state,
    byProcess,
    /** The process is about to stop: answers fail until the next one serves at `url`. */
    restarting() {
      epoch++;
      state.restarting = true;
      state.url = '';
      gapStart = Date.now();
    },
    /** Waits until the process at `url` answered completely. */
    async servedBy(url: string) {
      state.process++;
      state.url = url;
      // A poller that failed (an assertion) answers nothing more: say why instead of waiting.
      const deadline = Date.now() + 40_000;
      while (state.restarting) {
        if (failure) throw new Error(`the poller failed: ${failure.message}`, { cause: failure });
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for a complete answer from ${url}; last failed answer: ${state.lastFailure}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      running = false;
      await done.catch(() => undefined);
      if (failure) throw failure;
      return seen;
    },
  };
}

test('streamfold run: blue/green through the CLI, auto switch, cleanup', { timeout: 120_000 }, async () => {
  await createTopic(topic, { partitions: 2, configs: { 'retention.ms': -1 } });
  await produce(topic, events);
  const polling = poller();

  // v1 alone, in the application's group, under the names of before versions.
  let { run, url } = await start(1);
  await polling.servedBy(url);
  assert.deepEqual(
    (await getJson(`${url}/versions`)).body.versions.map((v: any) => [v.id, v.state, v.group]),
    [['balances', 'active', app]],
  );
  polling.restarting();
  await stop(run);

  // Deploy v2: it builds in its own group while v1 answers; the process switches by itself.
  ({ run, url } = await start(2));
  await polling.servedBy(url);
  await run.waitForLog((l) => l.msg === 'version 2 of balances: active');
  const versions = await until('/versions after the switch', async () => {
    const body = (await getJson(`${url}/versions`)).body;
    return body.versions.find((v: any) => v.id === 'balances-v2')?.caughtUp ? body : undefined;
  });
  assert.equal(versions.switch, 'auto');
  assert.deepEqual(
    versions.versions.map((v: any) => [v.id, v.state, v.group, v.running]),
    [
      ['balances', 'retired', app, true],
      ['balances-v2', 'active', `${app}-balances-v2`, true],
    ],
  );
  assert.equal(versions.versions[1].lag, 0);
  const status = cli(['status', '--url', url]);
  assert.equal((await status.exited).code, 0, status.stderr());
  assert.match(
    status.stdout(),
    new RegExp(
      // aligned columns: the group column is as wide as the longer group name
      `VERSIONS\\nbalances  v1  retired  balances     group ${app} +caught up\\nbalances  v2  active   balances-v2  group ${app}-balances-v2  caught up\\n`,
    ),
  );
  // The retired version stays readable by version until the process restarts without it.
  assert.deepEqual((await getJson(`${url}/projections/balances@1/keys/a2`)).body.value, expected.get('a2'));
  await new Promise((r) => setTimeout(r, 500));
  polling.restarting();
  await stop(run);

  // Consumers of v1's output topic saw nothing of v2, which writes to its own topic.
  const v1Out = await readToEnd(`${app}-balances`);
  assert.ok(v1Out.length > 0 && v1Out.every((r) => 'balance' in JSON.parse(r.value!)), 'v1 topic: v1 rows');
  const v2Out = await readToEnd(`${app}-balances-v2`);
  assert.ok(v2Out.length > 0 && v2Out.every((r) => 'cents' in JSON.parse(r.value!)), 'v2 topic: v2 rows');

  // The YAML never goes back: v1 again is refused before anything runs (one line, exit 2).
  const back = cli(['run', '-c', files[1], '--state-dir', stateDir, '--no-http']);
  assert.equal((await back.exited).code, 2);
  const said = back
    .stderr()
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('{'));
  assert.equal(said.length, 1, back.stderr());
  assert.match(said[0]!, /^streamfold run: .*balances/);

  // The next start runs v2 only; `streamfold cleanup` removes v1 while v2 serves.
  ({ run, url } = await start(2));
  await polling.servedBy(url);
  const admin = kafka('streamfold-test-run-versions').admin();
  await admin.connect();
  try {
    const before = await admin.listTopics();
    const v1Topics = before.filter(
      (t) =>
        t === `${app}-balances` || (t.startsWith(`${app}-balances-`) && !t.startsWith(`${app}-balances-v2`)),
    );
    assert.ok(v1Topics.length >= 2, `v1 has topics: ${v1Topics.join(', ')}`);
    const cleanup = cli(['cleanup', 'balances', '--version', '1', '-c', files[2], '--state-dir', stateDir]);
    assert.equal((await cleanup.exited).code, 0, cleanup.stderr());
    const left = await until('v1 topics deleted', async () => {
      const now = await admin.listTopics();
      return v1Topics.some((t) => now.includes(t)) ? undefined : now;
    });
    assert.ok(left.includes(`${app}-balances-v2`), 'v2 keeps its topics');
  } finally {
    await admin.disconnect();
  }
  await new Promise((r) => setTimeout(r, 500));
  const seen = await polling.stop();
  await stop(run);

  const firstV2 = seen.indexOf('v2');
  const count = (answers: Answer[] = [], v: Answer) => answers.filter((a) => a === v).length;
  const perProcess = polling.byProcess
    .slice(1)
    .map((answers, i) => `process ${i + 1}: ${count(answers, 'v1')} v1, ${count(answers, 'v2')} v2`);
  console.log(
    `# ${perProcess.join('; ')}; restart gaps ${polling.state.gapMs.join(', ')} ms (${polling.state.gapAnswers} failed polls in them, ${polling.state.lateAnswers} answers of a stopping process); ${polling.state.straddled} answers straddled the switch`,
  );
  assert.ok(firstV2 > 0, 'v1 answered first');
  assert.ok(
    seen.slice(firstV2).every((a) => a === 'v2'),
    'no v1 answer after the switch',
  );
  passed = true;
});
