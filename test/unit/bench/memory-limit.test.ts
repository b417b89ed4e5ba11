// The bench's container-like memory limit (bench/harness/memory-limit.ts): a process inside it that
// allocates more than the limit is killed by the kernel, one that stays below it runs to the end.
// Skipped where this user cannot make a memory cgroup.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { underMemoryLimit } from '../../../bench/harness/memory-limit.ts';

/** Allocates `mib` MiB of anonymous memory, touching every page, then exits 0. */
const allocate = (mib: number) =>
  `const b = []; for (let i = 0; i < ${mib}; i++) b.push(Buffer.alloc(2 ** 20, 1)); console.log(b.length)`;

function runLimited(mib: number, limitMiB: number) {
  const limited = underMemoryLimit(process.execPath, ['-e', allocate(mib)], limitMiB, 'test-memory-limit');
  try {
    const run = spawnSync(limited.command, limited.args, { encoding: 'utf8', timeout: 60_000 });
    return {
      status: run.status,
      signal: run.signal,
      stdout: run.stdout.trim(),
      oomKills: limited.oomKills(),
    };
  } finally {
    limited.release();
  }
}

void test('a process above its memory limit is killed; one below it is not', (t) => {
  try {
    underMemoryLimit(process.execPath, ['-e', ''], 64, 'test-memory-limit-probe').release();
  } catch (err) {
    t.skip(`no writable memory cgroup here: ${(err as Error).message}`);
    return;
  }
  const below = runLimited(16, 128);
  assert.equal(below.status, 0, JSON.stringify(below));
  assert.equal(below.stdout, '16');
  const above = runLimited(256, 128);
  assert.equal(above.signal, 'SIGKILL', JSON.stringify(above));
  assert.ok(above.oomKills >= 1, JSON.stringify(above));
});
