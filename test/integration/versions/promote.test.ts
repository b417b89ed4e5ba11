// versions.switch: manual against a real broker: the new version catches up but stays building
// (queries keep reading v1) until `streamfold promote` — the CLI, as a process — switches it, and
// the running instance follows the deployments topic. `streamfold versions` shows catch-up;
// `streamfold cleanup` refuses while an instance may still run the version.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { Definition } from '../../../projections/definition/schema.ts';
import { VersionedRuntime } from '../../../runtime/versions/index.ts';
import { brokers, createTopic, produce, uniqueTopic } from '../helpers.ts';

const bin = fileURLToPath(new URL('../../../bin/streamfold.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamfold-promote-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// Some runs leave one broker socket connecting after every client was closed (not traced yet: it
// belongs to no connection that finished connecting). Results are reported by then; do not let it
// hold the test process open.
after(() => setTimeout(() => process.exit(), 3_000).unref());

const app = uniqueTopic('promote').replaceAll('-', '_');
const topic = `${app}-accounts`;
const input = (version: 1 | 2) => ({
  application: app,
  versions: { switch: 'manual' },
  sources: { accounts: { topic, key: 'accountId' } },
  projections: {
    balances: {
      from: 'accounts',
      version,
      aggregate: { balance: { sum: version === 1 ? 'amount' : 'amount * 100' } },
    },
  },
});

function streamfold(...args: string[]) {
  const file = join(dir, 'projections.yaml');
  writeFileSync(file, JSON.stringify(input(2)));
  const r = spawnSync(process.execPath, [bin, ...args, '-c', file, '--brokers', brokers().join(',')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(version: 1 | 2): VersionedRuntime {
  return new VersionedRuntime({
    definition: Definition.parse(input(version)),
    brokers: brokers(),
    stateDir: join(dir, 'state'),
    pollMs: 200,
    sessionTimeoutMs: 6_000,
    progress: 'log',
  });
}

test(
  'manual switch: caught up is not enough, promote switches, every instance follows',
  { timeout: 120_000 },
  async () => {
    await createTopic(topic, { partitions: 2 });
    await produce(
      topic,
      Array.from({ length: 500 }, (_, i) => ({
        key: `a${i % 10}`,
        value: JSON.stringify({ accountId: `a${i % 10}`, amount: 1 }),
      })),
    );
    const one = start(1);
    await one.start();
    await until('v1 caught up', () => one.versions().find((v) => v.id === 'balances')?.caughtUp === true);
    await one.stop();

    const two = start(2);
    await two.start();
    try {
      assert.equal(two.switchMode, 'manual');
      await until(
        'v2 caught up',
        () => two.versions().find((v) => v.id === 'balances-v2')?.caughtUp === true,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(two.versions().find((v) => v.id === 'balances-v2')!.state, 'building');
      assert.equal(two.target('balances'), 'balances', 'queries still read v1');

      const listed = streamfold('versions', '--json');
      assert.equal(listed.code, 0, listed.err);
      assert.deepEqual(
        JSON.parse(listed.out).map((v: any) => [v.id, v.state, v.caughtUp]),
        [
          ['balances', 'active', true],
          ['balances-v2', 'building', true],
        ],
      );

      const refused = streamfold('cleanup', 'balances', '--version', '1');
      assert.equal(refused.code, 2);
      assert.match(refused.err, /active/);

      const promoted = streamfold('promote', 'balances');
      assert.equal(promoted.code, 0, promoted.err);
      assert.match(promoted.out, /balances version 2: active/);
      assert.match(promoted.out, /balances version 1: retired/);
      await until(
        'the instance follows the promotion',
        () => two.target('balances') === 'balances-v2',
        10_000,
      );

      // Retired, but this instance still runs it (until it restarts): cleanup waits for that.
      const early = streamfold('cleanup', 'balances', '--version', '1');
      assert.equal(early.code, 2);
      assert.match(early.err, /member/);
    } finally {
      await two.stop();
    }
  },
);
