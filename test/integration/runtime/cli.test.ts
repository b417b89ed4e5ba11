// streamfold run/describe/reset as a user runs them: one-line errors with exit 2 for user
// mistakes, a clean stop on SIGTERM, and a reset that makes a projection rebuild.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { brokers, kafka, testDir } from '../helpers.ts';
import { cli } from './cli-process.ts';
import {
  createSources,
  oracle,
  outputTables,
  plain,
  produceEvents,
  seedEvents,
  shopDefinition,
} from './harness.ts';

const dir = testDir('cli');

async function writeShop(prefix: string) {
  const shop = shopDefinition(prefix);
  const file = join(dir, `${prefix}.yaml`);
  await writeFile(file, stringify(shop.definition));
  return { shop, file };
}

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
  assert.equal(lines.length, 1, `one line expected, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

test('run: a bad config exits 2 with located errors', async () => {
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'application: x\nsources: {}\nprojections:\n  p: { from: nowhere }\n');
  const run = cli(['run', '-c', file, '--brokers', brokers().join(',')]);
  const { code } = await run.exited;
  assert.equal(code, 2);
  assert.match(run.stderr(), /bad\.yaml:\d+:\d+: /);
  assert.doesNotMatch(run.stderr(), /\n\s+at /);
});

test('run: an unreachable broker exits 2 with one line', { timeout: 30_000 }, async () => {
  const { file } = await writeShop('unreachable');
  const started = Date.now();
  const run = cli([
    'run',
    '-c',
    file,
    '--brokers',
    '127.0.0.1:1',
    '--state-dir',
    join(dir, 'state'),
    '--no-http',
  ]);
  const { code } = await run.exited;
  assert.equal(code, 2);
  assert.ok(Date.now() - started < 25_000, 'bounded connect timeout');
  assertOneLine(run.stderr(), /^streamfold run: cannot reach Kafka at 127\.0\.0\.1:1/);
});

test('run: a missing source topic exits 2 and names it', { timeout: 30_000 }, async () => {
  const { shop, file } = await writeShop('missing');
  const run = cli([
    'run',
    '-c',
    file,
    '--brokers',
    brokers().join(','),
    '--state-dir',
    join(dir, 'state'),
    '--no-http',
  ]);
  const { code } = await run.exited;
  assert.equal(code, 2);
  assertOneLine(
    run.stderr(),
    new RegExp(`^streamfold run: source topics ${shop.topics.accounts} \\(source accounts\\)`),
  );
});

test(
  'run processes, stops on SIGTERM with exit 0; reset rebuilds a projection; describe shows partitions',
  { timeout: 90_000 },
  async () => {
    const { shop, file } = await writeShop('clirun');
    await createSources(shop, 2);
    const events = seedEvents(shop, 400, 11);
    await produceEvents(events);
    const stateDir = join(dir, 'state-run');
    const args = ['-c', file, '--brokers', brokers().join(','), '--state-dir', stateDir];
    const noHttp = ['--no-http'];
    const expected = await oracle(shop.definition, events);

    const waitForTables = async () => {
      const deadline = Date.now() + 40_000;
      for (;;) {
        const actual = plain(await outputTables(shop.definition));
        if (JSON.stringify(actual) === JSON.stringify(plain(expected.tables))) return;
        if (Date.now() > deadline) assert.deepEqual(actual, plain(expected.tables));
        await new Promise((r) => setTimeout(r, 500));
      }
    };

    let run = cli(['run', ...args, ...noHttp]);
    await run.waitForLog((l) => l.msg === 'task 1 running');
    await waitForTables();
    // reset refuses while the application runs
    const refused = cli(['reset', 'balances', ...args]);
    assert.equal((await refused.exited).code, 2);
    assertOneLine(refused.stderr(), /is running \(1 member/);

    const stopAt = Date.now();
    run.child.kill('SIGTERM');
    assert.deepEqual(await run.exited, { code: 0, signal: null });
    assert.ok(Date.now() - stopAt < 10_000);
    assert.ok(run.logs().some((l) => l.msg === 'stopped'));

    const reset = cli(['reset', 'balances', ...args]);
    assert.equal((await reset.exited).code, 0, reset.stderr());
    assert.match(reset.stdout(), new RegExp(`rewound ${shop.topics.accounts}`));
    const admin = kafka().admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    assert.ok(!topics.includes(`${shop.definition.application}-balances`), 'the output topic is gone');
    assert.ok(
      topics.includes(`${shop.definition.application}-order_summary`),
      'other projections keep theirs',
    );

    run = cli(['run', ...args, ...noHttp]);
    await run.waitForLog((l) => l.msg === 'task 1 running');
    await waitForTables(); // balances rebuilt from the sources, nothing counted twice
    run.child.kill('SIGINT');
    assert.equal((await run.exited).code, 0);

    const describe = cli(['describe', ...args.slice(0, 4)]);
    assert.equal((await describe.exited).code, 0);
    assert.match(
      describe.stdout(),
      new RegExp(`accounts: stream ← ${shop.topics.accounts} \\[2 partitions\\]`),
    );
    assert.match(describe.stdout(), /2 tasks/);
  },
);
