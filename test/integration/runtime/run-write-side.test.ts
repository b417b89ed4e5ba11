// streamfold run and the write side it does not run yet (docs/commands.md): a `commands:` section
// is announced once at start as not executed (first-writer-wins is applied: see
// test/integration/sources/first-writer-wins.test.ts).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testDir } from '../helpers.ts';
import { cli } from './cli-process.ts';

const dir = testDir('run-write-side');
const example = fileURLToPath(new URL('../../../examples/write-side.yaml', import.meta.url));

test('run says once at start that commands are not executed', { timeout: 30_000 }, async () => {
  // An unreachable broker: run gets past the config, says it, then exits 2.
  const run = cli([
    'run',
    '-c',
    example,
    '--brokers',
    '127.0.0.1:1',
    '--state-dir',
    join(dir, 'state'),
    '--no-http',
  ]);
  assert.equal((await run.exited).code, 2);
  const notices = run.logs().filter((l) => /are not executed by streamfold run/.test(String(l.msg)));
  assert.equal(notices.length, 1, run.stderr());
  assert.match(String(notices[0]!.msg), /commands \(receiveStock, .*reserveSeat.*\)/);
  assert.equal(notices[0]!.level, 40, 'a warning (pino level 40)');
});
