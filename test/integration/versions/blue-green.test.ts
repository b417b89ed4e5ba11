// Blue/green projection versions against a real broker: v1 serves; v2 (balances in cents) is
// deployed, replays the events in its own group and catches up while v1 keeps answering; queries
// switch by themselves; v1 is cleaned up. A poller hits the HTTP API throughout each run and must
// see only complete v1 answers, then only complete v2 answers: never a failure, never a mix.
//
// Deploying is a restart with the new YAML (one instance here), so the poller runs per instance:
// from the first answer of the new instance (before v2 has caught up) to its stop.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Definition } from '../../../projections/definition/schema.ts';
import { silentLogger } from '../../../runtime/log/logger.ts';
import { QueryService } from '../../../runtime/serve/query-service.ts';
import { cleanupVersion, DeploymentsLog, VersionedRuntime } from '../../../runtime/versions/index.ts';
import { createTopic, kafka, produce, readToEnd, uniqueTopic, until } from '../helpers.ts';
import { balancesDefinition, depositEvents } from './balances-fixture.ts';

const ACCOUNTS = 40;
const EVENTS = 3000;
const state = mkdtempSync(join(tmpdir(), 'streamfold-versions-'));
after(() => rmSync(state, { recursive: true, force: true }));
// Some runs leave one broker socket connecting after every client was closed (not traced yet: it
// belongs to no connection that finished connecting). Results are reported by then; do not let it
// hold the test process open.
after(() => setTimeout(() => process.exit(), 3_000).unref());

const app = uniqueTopic('bluegreen').replaceAll('-', '_');
const topic = `${app}-accounts`;
const definition = (version: 1 | 2) => Definition.parse(balancesDefinition(app, topic, version));

// Expected final rows, per version.
const { events, expected } = depositEvents(EVENTS, ACCOUNTS);

type Answer = 'v1' | 'v2';

/** One whole-table answer: which version it is, or why it is wrong. */
function classify(rows: Array<{ key: string; value: Record<string, unknown> }>): Answer {
  assert.equal(rows.length, ACCOUNTS, `a complete answer has every account (got ${rows.length})`);
  const shapes = new Set(rows.map((r) => Object.keys(r.value).sort().join(',')));
  assert.equal(shapes.size, 1, `one version per answer, got ${[...shapes].join(' | ')}`);
  const v1 = shapes.has('balance,deposits');
  for (const r of rows) {
    const e = expected.get(r.key)!;
    assert.deepEqual(r.value, v1 ? e : { cents: e.balance * 100, deposits: e.deposits }, `row ${r.key}`);
  }
  return v1 ? 'v1' : 'v2';
}

interface Instance {
  runtime: VersionedRuntime;
  url: string;
  stop(): Promise<void>;
}

async function startInstance(version: 1 | 2): Promise<Instance> {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
  const runtime = new VersionedRuntime({
    definition: definition(version),
    brokers,
    stateDir: state,
    pollMs: 200,
    sessionTimeoutMs: 6_000,
    progress: 'log',
    // v2 commits less often: it cannot have caught up before the poller has seen v1 answers.
    groupOptions: (group) => (group === app ? {} : { commitIntervalMs: 1_500 }),
  });
  await runtime.prepare();
  const service = await QueryService.start({
    runtime,
    brokers,
    settings: { host: '127.0.0.1', port: 0 },
    logger: silentLogger(),
    pollMs: 200,
    ownershipPollMs: 200,
  });
  await runtime.start(service.endpoint, (group, app) => service.attach(group, app));
  service.started();
  return {
    runtime,
    url: service.endpoint,
    async stop() {
      service.stopping();
      await runtime.stop();
      await service.close();
    },
  };
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/** The whole table once it is complete and 200 (the instance restored and owns its partitions). */
const firstAnswer = (url: string) =>
  until('a complete answer', async () => {
    const r = await getJson(`${url}/projections/balances/rows?limit=1000`);
    if (r.status !== 200 || r.body.rows.length !== ACCOUNTS) return undefined;
    try {
      return classify(r.body.rows);
    } catch {
      return undefined;
    }
  });

/** Polls the table and one key until stopped; every answer must be 200, complete and one version. */
function poller(url: string) {
  const seen: Answer[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const table = await getJson(`${url}/projections/balances/rows?limit=1000`);
      assert.equal(table.status, 200, JSON.stringify(table.body));
      seen.push(classify(table.body.rows));
      const one = await getJson(`${url}/projections/balances/keys/a1`);
      assert.equal(one.status, 200, JSON.stringify(one.body));
      const e = expected.get('a1')!;
      const isV1 = 'balance' in one.body.value;
      assert.deepEqual(one.body.value, isV1 ? e : { cents: e.balance * 100, deposits: e.deposits });
      seen.push(isV1 ? 'v1' : 'v2');
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // Kept until stop() so a failing answer fails the test there, not as an unhandled rejection.
  let failure: Error | undefined;
  done.catch((err: unknown) => {
    failure = err instanceof Error ? err : new Error(String(err));
  });
  return {
    seen,
    async stop() {
      running = false;
      await done.catch(() => undefined);
      if (failure) throw failure;
      return seen;
    },
  };
}

/** v1 answers, then v2 answers, and never back. */
function assertSwitchedOnce(seen: Answer[]): void {
  const firstV2 = seen.indexOf('v2');
  console.log(`# answers: ${firstV2} from v1, then ${seen.length - firstV2} from v2`);
  assert.ok(firstV2 > 0, `v1 answered first, then v2 (${seen.length} answers, first v2 at ${firstV2})`);
  assert.ok(
    seen.slice(firstV2).every((a) => a === 'v2'),
    'no v1 answer after the switch',
  );
}

test(
  'blue/green: v1 serves, v2 builds beside it, queries switch, v1 is cleaned up',
  { timeout: 180_000 },
  async () => {
    await createTopic(topic, { partitions: 2, configs: { 'retention.ms': -1 } });
    await produce(topic, events);

    // v1 alone.
    const one = await startInstance(1);
    assert.equal(await firstAnswer(one.url), 'v1');
    const listed = await getJson(`${one.url}/versions`);
    assert.deepEqual(
      listed.body.versions.map((v: any) => [v.id, v.state, v.group]),
      [['balances', 'active', app]],
    );
    await one.stop();

    // Deploy v2: it replays in its own group while v1 keeps answering; auto switch once caught up.
    const two = await startInstance(2);
    assert.equal(await firstAnswer(two.url), 'v1', 'v2 does not answer before it caught up');
    const polling = poller(two.url);
    const status = await until('the switch', async () => {
      const r = await getJson(`${two.url}/versions`);
      const v2 = r.body.versions.find((v: any) => v.id === 'balances-v2');
      return v2?.state === 'active' ? r.body : undefined;
    });
    assert.deepEqual(
      status.versions.map((v: any) => [v.id, v.state, v.group, v.running]),
      [
        ['balances', 'retired', app, true],
        ['balances-v2', 'active', `${app}-balances-v2`, true],
      ],
    );
    assert.equal(status.versions[1].caughtUp, true);
    assert.equal(status.versions[1].lag, 0);
    await new Promise((r) => setTimeout(r, 1_000));
    assertSwitchedOnce(await polling.stop());
    // A specific version stays reachable by name@version and ?version=.
    assert.deepEqual(
      (await getJson(`${two.url}/projections/balances@1/keys/a1`)).body.value,
      expected.get('a1'),
    );
    assert.equal(
      (await getJson(`${two.url}/projections/balances/keys/a1?version=2`)).body.value.cents,
      expected.get('a1')!.balance * 100,
    );
    assert.equal((await getJson(`${two.url}/projections/balances@7/keys/a1`)).status, 404);
    await two.stop();

    // Consumers of v1's output topic see nothing from v2, and v2 has a topic of its own.
    const v1Out = await readToEnd(`${app}-balances`);
    assert.ok(
      v1Out.length > 0 && v1Out.every((r) => 'balance' in JSON.parse(r.value!)),
      "only v1 rows in v1's topic",
    );
    const v2Out = await readToEnd(`${app}-balances-v2`);
    assert.ok(
      v2Out.length > 0 && v2Out.every((r) => 'cents' in JSON.parse(r.value!)),
      "only v2 rows in v2's topic",
    );

    // The next start runs v2 only; v1 is cleaned up while it serves.
    const three = await startInstance(2);
    assert.equal(await firstAnswer(three.url), 'v2');
    const polling3 = poller(three.url);
    const admin = kafka('streamfold-test-versions-cleanup').admin();
    await admin.connect();
    const log = await DeploymentsLog.open(kafka('streamfold-test-versions-cleanup'), admin, app);
    try {
      await assert.rejects(
        cleanupVersion({
          admin,
          log,
          application: app,
          stateDir: state,
          projection: 'balances',
          version: 2,
          declared: 2,
        }),
        /declares/,
      );
      const before = await admin.listTopics();
      const v1Topics = before.filter(
        (t) =>
          t === `${app}-balances` ||
          (t.startsWith(`${app}-balances-`) && !t.startsWith(`${app}-balances-v2`)),
      );
      assert.ok(v1Topics.length >= 2, `v1 has topics: ${v1Topics.join(', ')}`);
      assert.ok(existsSync(join(state, app)), 'v1 has local state');
      const lines: string[] = [];
      const removed = await cleanupVersion({
        admin,
        log,
        application: app,
        stateDir: state,
        projection: 'balances',
        version: 1,
        declared: 2,
        say: (l) => lines.push(l),
      });
      assert.equal(removed.state, 'removed');
      const left = await until('topics deleted', async () => {
        const now = await admin.listTopics();
        return v1Topics.some((t) => now.includes(t)) ? undefined : now;
      });
      assert.ok(left.includes(`${app}-balances-v2`), 'v2 keeps its topics');
      assert.ok(!existsSync(join(state, app)), `v1's state directory is gone (${lines.join('; ')})`);
      assert.ok(existsSync(join(state, `${app}-balances-v2`)), 'v2 keeps its state');
    } finally {
      await log.close();
      await admin.disconnect();
    }
    await new Promise((r) => setTimeout(r, 500));
    const after3 = await polling3.stop();
    assert.ok(after3.length > 0 && after3.every((a) => a === 'v2'), 'only v2 answers after the switch');
    const listed3 = await getJson(`${three.url}/versions`);
    assert.deepEqual(
      listed3.body.versions.map((v: any) => [v.id, v.state, v.running]),
      [
        ['balances', 'removed', false],
        ['balances-v2', 'active', true],
      ],
    );
    await three.stop();
  },
);
