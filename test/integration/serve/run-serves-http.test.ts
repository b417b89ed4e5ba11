// `streamfold run` as a user runs it (a child process of the real CLI) serves the query API,
// /metrics and health: the example shop's definition under unique names, N seed events produced
// while it runs, then /metrics scraped and checked against what was produced, and every balance
// and order read back over HTTP equal to the pure engine's answer for the same events.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../runtime/config/load.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { encodeKey } from '../../../projections/keys.ts';
import { generateEvents } from '../../../runtime/generator/index.ts';
import { type Exposition, parseExposition, samplesOf, sampleValue } from '../../../runtime/metrics/index.ts';
import { brokers, kafka, uniqueTopic } from '../helpers.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const N = 600;
const SEED = 7;

describe('streamfold run serves HTTP, metrics and health', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfold-run-http-'));
  const app = uniqueTopic('runhttp').replaceAll('-', '_');
  const topics = { accounts: `${app}-accounts`, orders: `${app}-orders`, customers: `${app}-customers` };
  const definitionFile = join(dir, 'projections.yaml');
  let child: ChildProcess;
  let stderr = '';
  let url = '';

  before(async () => {
    // The README's definition, renamed so this run shares no topic or group with any other.
    const text = readFileSync(join(root, 'projections.yaml'), 'utf8')
      .replace(/^application: shop$/m, `application: ${app}`)
      .replace('topic: account-events', `topic: ${topics.accounts}`)
      .replace('topic: order-events', `topic: ${topics.orders}`)
      .replace('topic: customer-events', `topic: ${topics.customers}`);
    writeFileSync(definitionFile, text);
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'runtime/cli/main.ts',
        'run',
        '-c',
        definitionFile,
        '--state-dir',
        join(dir, 'state'),
        '--http-port',
        '0',
        '--create-source-topics',
      ],
      {
        cwd: root,
        env: { ...process.env, KAFKA_BROKERS: brokers().join(','), STREAMFOLD_LOG_FORMAT: 'json' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`no endpoint announced within 60 s:\n${stderr}`)),
        60_000,
      );
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /dashboard +(http:\/\/127\.0\.0\.1:\d+)\/dashboard\//.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`streamfold run exited with ${code}:\n${stderr}`)));
    });
  });

  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const events = generateEvents(SEED, N, { topics });
  const produced = (topic: string) => events.filter((e) => e.topic === topic).length;

  async function scrape(): Promise<Exposition> {
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    return parseExposition(await res.text());
  }

  it('is ready once restored, and serves the dashboard and the OpenAPI document', async () => {
    await eventually(async () => assert.equal((await fetch(`${url}/readyz`)).status, 200), 30_000);
    assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { status: 'ok' });
    assert.equal((await fetch(`${url}/dashboard/`)).status, 200);
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(doc.paths['/projections/{name}/keys/{key}']);
    // A first start on fresh topics logs no warning: the broker's transient answers while new
    // topics get leaders and the group coordinator loads are retried and logged at debug.
    const warnings = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level >= 40);
    assert.deepEqual(warnings, []);
  });

  it('counts exactly the records produced, ends with no lag, and reports restores and stores', async () => {
    const producer = kafka('streamfold-test-run-http').producer();
    await producer.connect();
    for (const e of events)
      await producer.send({
        topic: e.topic,
        messages: [{ key: e.key, value: JSON.stringify(e.value), timestamp: String(e.timestamp) }],
      });
    // One record that is not JSON: dead-lettered, counted, skipped.
    await producer.send({ topic: topics.accounts, messages: [{ key: 'a-poison', value: '{not json' }] });
    await producer.disconnect();

    const expectIn = {
      balances: produced(topics.accounts) + 1,
      order_summary: produced(topics.orders),
      customer_profiles: produced(topics.customers),
    };
    let m = await scrape();
    await eventually(async () => {
      m = await scrape();
      for (const [projection, n] of Object.entries(expectIn))
        assert.equal(sampleValue(m, 'streamfold_records_in_total', { projection }), n, projection);
      const lag = samplesOf(m, 'streamfold_consumer_lag_records');
      assert.ok(lag.length > 0);
      for (const s of lag) assert.equal(s.value, 0, `lag of ${s.labels.topic}[${s.labels.partition}]`);
    }, 90_000);

    // A stream aggregate emits once per event it aggregates; the poison record emits nothing.
    assert.equal(
      sampleValue(m, 'streamfold_records_out_total', { projection: 'balances' }),
      expectIn.balances - 1,
    );
    assert.equal(
      sampleValue(m, 'streamfold_dead_letter_records_total', { kind: 'decode', topic: topics.accounts }),
      1,
    );
    // Lag per partition of every source topic: 3 partitions each (--create-source-topics).
    for (const topic of Object.values(topics))
      assert.deepEqual(
        samplesOf(m, 'streamfold_consumer_lag_records', { topic })
          .map((s) => s.labels.partition)
          .sort(),
        ['0', '1', '2'],
      );
    // Restore progress of every task, complete (nothing to restore on a first start).
    const restored = samplesOf(m, 'streamfold_restore_restored_records');
    const targets = samplesOf(m, 'streamfold_restore_target_records');
    assert.deepEqual(restored.map((s) => s.labels.task).sort(), ['0', '1', '2']);
    for (const t of targets)
      assert.equal(t.value, restored.find((r) => r.labels.task === t.labels.task)!.value);
    assert.equal(sampleValue(m, 'streamfold_ready'), 1);
    assert.equal(sampleValue(m, 'streamfold_tasks', { state: 'running' }), 3);
    assert.ok(sampleValue(m, 'streamfold_commit_duration_seconds_count') > 0);
    // Store sizes are taken every 15 s: the balances group states over the tasks (one per row:
    // no having; queries derive the rows from them, there is no rows store) match the table.
    await eventually(async () => {
      const stores = samplesOf(await scrape(), 'streamfold_store_rows');
      assert.ok(!stores.some((s) => s.labels.store === `${app}-balances-rows`));
      const rows = stores.filter((s) => s.labels.store === `${app}-balances-agg`);
      assert.equal(rows.length, 3);
      assert.equal(
        rows.reduce((n, s) => n + s.value, 0),
        Object.keys(oracle('balances')).length,
      );
    }, 30_000);
  });

  it('answers every balance and order of the README example as the engine computes it', async () => {
    for (const projection of ['balances', 'order_summary']) {
      const expected = oracle(projection);
      assert.ok(Object.keys(expected).length > 10, projection);
      for (const [key, value] of Object.entries(expected)) {
        const res = await fetch(`${url}/projections/${projection}/keys/${encodeURIComponent(key)}`);
        assert.equal(res.status, 200, `${projection}/${key}`);
        assert.deepEqual(((await res.json()) as { value: unknown }).value, value, `${projection}/${key}`);
      }
    }
    const status = (await (await fetch(`${url}/projections`)).json()) as {
      projections: Array<{ name: string; rows: number; status: string }>;
    };
    const balances = status.projections.find((p) => p.name === 'balances')!;
    assert.equal(balances.status, 'running');
  });

  it('stops cleanly on SIGINT', async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr.slice(-2000));
  });

  /** The pure engine's final table of a projection over the same events (per key order = topic order). */
  function oracle(projection: string): Record<string, unknown> {
    const ex = new Executor(compileTopology(loadConfig(definitionFile)), { json: true });
    for (const e of events)
      ex.process({ topic: e.topic, key: e.key, value: e.value, timestamp: e.timestamp });
    const table: Record<string, unknown> = {};
    for (const o of ex.outputsOf(projection)) {
      if (o.value === null) delete table[encodeKey(o.key)];
      else table[encodeKey(o.key)] = o.value;
    }
    return table;
  }
});

async function eventually(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
