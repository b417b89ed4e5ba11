// The fixture runner: the engine fixtures pass, and a mismatch produces a readable diff.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  fixtureFromObject,
  formatResult,
  loadFixture,
  runFixture,
} from '../../../projections/testing/index.ts';
import { expandFixtureArgs, runFixtureFiles } from '../../../runtime/cli/test.ts';

const DIR = fileURLToPath(new URL('../../fixtures/engine/', import.meta.url));
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

void describe('engine fixtures', () => {
  void it('there are fixtures to run', () => assert.ok(files.length >= 4));
  for (const f of files) {
    void it(f, async () => {
      const result = runFixture(await loadFixture(path.join(DIR, f)));
      assert.ok(result.projections.length > 0);
      assert.ok(
        result.projections.every((p) => p.recordsPassed === true),
        'every engine fixture pins its changelog',
      );
      assert.ok(result.passed, formatResult(result));
    });
  }
});

const base = {
  name: 'diff-demo',
  definition: {
    application: 'a',
    sources: { s: { topic: 's' } },
    projections: { t: { from: 's', aggregate: { n: { count: '*' } } } },
  },
  inputs: [
    { topic: 's', key: 'k1', value: { x: 1 }, timestamp: 5 },
    { topic: 's', key: 'k2', value: { x: 1 }, timestamp: 6 },
  ],
};

void describe('fixture diffs', () => {
  void it('reports wrong, missing and unexpected rows in the final table', async () => {
    const fixture = await fixtureFromObject({
      ...base,
      expected: { t: { table: { k1: { n: 2 }, k3: { n: 1 } } } },
    });
    const r = runFixture(fixture);
    assert.equal(r.passed, false);
    assert.equal(r.projections[0]!.tablePassed, false);
    const text = formatResult(r);
    assert.match(text, /^FAIL diff-demo/);
    assert.match(text, /k1: expected \{"n":2\}\n\s+got \{"n":1\}/);
    assert.match(text, /k3: expected \{"n":1\}, got no row/);
    assert.match(text, /k2: unexpected row \{"n":1\}/);
  });

  void it('reports the first differing record with both sides, timestamps compared when given', async () => {
    const fixture = await fixtureFromObject({
      ...base,
      expected: {
        t: {
          records: [
            { key: 'k1', value: { n: 1 }, timestamp: 5 },
            { key: 'k2', value: { n: 1 }, timestamp: 7 },
          ],
        },
      },
    });
    const r = runFixture(fixture);
    assert.equal(r.projections[0]!.recordsPassed, false);
    assert.equal(r.projections[0]!.tablePassed, true, 'no table expectation: nothing to fail');
    assert.match(r.projections[0]!.diff, /records differ at index 1 \(expected 2 records, got 2\)/);
    assert.match(
      r.projections[0]!.diff,
      /expected key "k2" value \{"n":1\} @7\n\s+actual\s+key "k2" value \{"n":1\} @6/,
    );
  });

  void it('a deleted key matches an expected null', async () => {
    const fixture = await fixtureFromObject({
      name: 'deleted',
      definition: {
        application: 'a',
        sources: { s: { topic: 's', eventType: 'type' } },
        projections: { t: { from: 's', aggregate: { n: { count: '*' } }, deleteOn: ['Gone'] } },
      },
      inputs: [
        { topic: 's', key: 'k1', value: { type: 'X' } },
        { topic: 's', key: 'k1', value: { type: 'Gone' } },
      ],
      expected: {
        t: {
          table: { k1: null },
          records: [
            { key: 'k1', value: { n: 1 } },
            { key: 'k1', value: null },
          ],
        },
      },
    });
    assert.equal(runFixture(fixture).passed, true);
  });

  void it('rejects inputs for unknown topics and expectations for unknown projections', async () => {
    const typo = await fixtureFromObject({
      ...base,
      inputs: [{ topic: 'S', key: 1, value: {} }],
      expected: { t: { table: {} } },
    });
    assert.throws(() => runFixture(typo), /topic 'S', which no source reads/);
    const unknown = await fixtureFromObject({ ...base, expected: { nope: { table: {} } } });
    assert.throws(() => runFixture(unknown), /'nope', which the definition does not declare/);
    await assert.rejects(fixtureFromObject({ ...base, expected: {}, extra: 1 }), /invalid fixture/);
    const badDefinition = {
      ...base.definition,
      projections: { t: { from: 'nope', aggregate: { n: { count: '*' } } } },
    };
    await assert.rejects(
      fixtureFromObject({ ...base, definition: badDefinition, expected: {} }),
      /invalid definition:\n\s+projections\.t\.from: .*nope/,
    );
  });
});

void describe('streamfold test (command helpers)', () => {
  void it('expands directories and globs to fixture files only', () => {
    const rel = path.relative(process.cwd(), DIR);
    const { files: fromDir } = expandFixtureArgs([rel]);
    assert.ok(fromDir.length >= 4);
    assert.ok(!fromDir.some((f) => f.includes('definitions')), 'definition files are not fixtures');
    const { files: fromGlob, unmatched } = expandFixtureArgs([
      `${rel}/**/table-*.yaml`,
      `${rel}/nothing-*.yaml`,
    ]);
    assert.deepEqual(
      fromGlob.map((f) => path.basename(f)),
      ['table-min-max-latest.yaml'],
    );
    assert.deepEqual(unmatched, [`${rel}/nothing-*.yaml`]);
  });

  void it('prints PASS/FAIL per fixture and the summary line, counting load errors as failures', async () => {
    const lines: string[] = [];
    const failed = await runFixtureFiles(
      [path.join(DIR, 'fk-join-fanout.yaml'), path.join(DIR, 'missing.yaml')],
      false,
      (l) => lines.push(l),
    );
    assert.equal(failed, 1);
    assert.match(lines[0]!, /^PASS fk-join-fanout/);
    assert.match(lines[1]!, /^FAIL .*missing\.yaml\n\s+cannot read fixture/);
    assert.equal(lines.at(-1), '1 passed, 1 failed');
  });
});

void describe('streamfold test (process)', () => {
  void it('exits 0 when all pass, 1 on a failure, 2 when nothing matches', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'streamfold-test-'));
    try {
      const failing = path.join(dir, 'failing.yaml');
      writeFileSync(failing, JSON.stringify({ ...base, expected: { t: { table: { k1: { n: 9 } } } } }));
      const cli = (args: string[]) =>
        spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            fileURLToPath(new URL('../../../runtime/cli/main.ts', import.meta.url)),
            'test',
            ...args,
          ],
          {
            encoding: 'utf8',
          },
        );
      const ok = cli([path.join(DIR, 'fk-join-fanout.yaml')]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /1 passed, 0 failed\n$/);
      const bad = cli([path.join(DIR, 'fk-join-fanout.yaml'), failing]);
      assert.equal(bad.status, 1);
      assert.match(bad.stdout, /FAIL diff-demo[\s\S]*k1: expected \{"n":9\}[\s\S]*1 passed, 1 failed/);
      const none = cli([path.join(dir, 'nothing-*.yaml')]);
      assert.equal(none.status, 2);
      assert.match(none.stderr, /no fixture matches/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
