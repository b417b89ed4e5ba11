// streamfold run and the write side it does not run yet (docs/commands.md): a first-writer-wins
// source is refused with one located line and exit 2, never folded unchecked; a `commands:`
// section is announced once at start as not executed.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testDir } from '../helpers.ts';
import { cli } from './cli-process.ts';

const dir = testDir('run-write-side');
const example = fileURLToPath(new URL('../../../examples/write-side.yaml', import.meta.url));

test('run refuses conflicts: first-writer-wins with one located line and exit 2', async () => {
  const run = cli(['run', '-c', example, '--brokers', '127.0.0.1:1', '--no-http']);
  assert.equal((await run.exited).code, 2);
  const lines = run
    .stderr()
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('{'));
  assert.equal(lines.length, 1, run.stderr());
  assert.match(
    lines[0]!,
    /write-side\.yaml:\d+:\d+: sources\.seats\.conflicts: streamfold run does not apply first-writer-wins yet/,
  );
});

test('run says once at start that commands are not executed', { timeout: 30_000 }, async () => {
  // The same definition without conflicts: run gets past the config (then fails on the broker).
  const text = (await readFile(example, 'utf8')).replace(/^\s*conflicts: first-writer-wins\n/m, '\n');
  const file = join(dir, 'commands-only.yaml');
  await writeFile(file, text);
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
  assert.equal((await run.exited).code, 2);
  const notices = run.logs().filter((l) => /are not executed by streamfold run/.test(String(l.msg)));
  assert.equal(notices.length, 1, run.stderr());
  assert.match(String(notices[0]!.msg), /commands \(receiveStock, .*reserveSeat.*\)/);
  assert.equal(notices[0]!.level, 40, 'a warning (pino level 40)');
});
