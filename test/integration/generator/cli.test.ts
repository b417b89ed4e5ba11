// `streamfold generate` as a user runs it: reads the definition's source topics, creates them,
// produces exactly --count events and exits 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateEvents } from '../../../runtime/generator/index.ts';
import { brokers, readToEnd, uniqueTopic } from '../helpers.ts';

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/cli/main.ts', ...args], {
      env: { ...process.env, STREAMFOLD_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

void describe('streamfold generate', () => {
  void test('produces --count seeded events to the topics of the definition', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfold-generate-'));
    try {
      const topics = {
        accounts: uniqueTopic('cli-accounts'),
        orders: uniqueTopic('cli-orders'),
        customers: uniqueTopic('cli-customers'),
      };
      const config = join(dir, 'projections.yaml');
      writeFileSync(
        config,
        readFileSync('projections.yaml', 'utf8')
          .replace('topic: account-events', `topic: ${topics.accounts}`)
          .replace('topic: order-events', `topic: ${topics.orders}`)
          .replace('topic: customer-events', `topic: ${topics.customers}`),
      );
      const { code, stderr } = await run([
        'generate',
        '-c',
        config,
        '--count',
        '150',
        '--rate',
        '0',
        '--seed',
        'cli',
        '--brokers',
        brokers().join(','),
      ]);
      assert.equal(code, 0, stderr);
      const done = stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; produced?: number })
        .find((l) => l.msg === 'done');
      assert.equal(done?.produced, 150);
      const expected = generateEvents('cli', 150, { topics });
      for (const topic of Object.values(topics)) {
        const records = await readToEnd(topic);
        const want = expected.filter((e) => e.topic === topic);
        assert.equal(records.length, want.length, topic);
        assert.deepEqual(
          new Set(records.map((r) => JSON.parse(r.value as string).eventId)),
          new Set(want.map((e) => e.value.eventId)),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void test('a definition that does not validate exits 2 with its errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfold-generate-'));
    try {
      const config = join(dir, 'bad.yaml');
      writeFileSync(config, 'application: shop\nsources: {}\nprojections: { p: { from: nowhere } }\n');
      const { code, stderr } = await run([
        'generate',
        '-c',
        config,
        '--count',
        '1',
        '--brokers',
        brokers().join(','),
      ]);
      assert.equal(code, 2);
      assert.match(stderr, /bad\.yaml:\d+:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
