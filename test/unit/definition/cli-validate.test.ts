// `streamfold validate` through a child process: exit codes and output, never a stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const bin = fileURLToPath(new URL('../../../bin/streamfold.js', import.meta.url));
const run = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [bin, 'validate', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });

describe('streamfold validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfold-validate-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'projections.yaml'),
    'application: shop\nsources:\n  a: { topic: t, eventType: type }\nprojections:\n  b: { from: a, aggregate: { n: { count: "*" } } }\n  c: { from: b, having: "m > 0", aggregate: { m: { sum: n } } }\n',
  );
  writeFileSync(
    join(dir, 'bad.yaml'),
    'application: shop\nsources:\n  a: { topic: t }\nprojections:\n  b: { from: x }\n  c: { from: a, deleteOn: [Gone], aggregate: { n: { count: \"*\" } } }\n',
  );

  it('exits 0 with a summary on a valid file (default -c projections.yaml)', () => {
    const r = run([], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok: 1 source, 2 projections');
  });

  it('exits 2 with every located error on its own line', () => {
    const r = run(['-c', 'bad.yaml'], dir);
    assert.equal(r.status, 2);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      'bad.yaml:5:14: projections.b.from: unknown source or projection "x"',
      'bad.yaml:6:27: projections.c.deleteOn: deleteOn needs event types, but source "a" has no eventType; declare eventType: <field> on the source',
    ]);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
  });

  it('exits 2 with one line for a missing file', () => {
    const r = run(['-c', 'nope.yaml'], dir);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), 'nope.yaml: cannot read the definition: no such file');
  });
});
