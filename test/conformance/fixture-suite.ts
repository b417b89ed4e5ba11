// Registers node:test cases for every fixture in a folder: per fixture, one test for the final
// table and one for the changelog where the fixture expects one. Shared by the ksqlDB
// conformance suite and the example fixtures. (`void`: node:test returns promises the runner awaits.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import YAML from 'yaml';
import { formatResult, loadFixture, runFixture } from '../../projections/testing/index.ts';

export function fixtureFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Projection names whose expectation includes `records`, read from the file itself so a runner
 * that silently skipped the changelog cannot pass. */
function projectionsWithRecords(file: string): string[] {
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { expected?: Record<string, { records?: unknown }> };
  return Object.entries(doc.expected ?? {})
    .filter(([, e]) => e?.records !== undefined)
    .map(([name]) => name);
}

export function defineFixtureTests(dirUrl: URL, expectedCount?: number): void {
  const dir = fileURLToPath(dirUrl);
  const files = fixtureFiles(dir);

  if (expectedCount !== undefined) {
    void it(`holds ${expectedCount} fixtures`, () => assert.equal(files.length, expectedCount));
  }

  for (const file of files) {
    const name = path.basename(file, '.yaml');
    const withRecords = projectionsWithRecords(file);
    void describe(name, () => {
      // Loaded and run once per fixture, on first use; both tests read the same result.
      let run: Promise<ReturnType<typeof runFixture>> | undefined;
      const result = () => (run ??= loadFixture(file).then(runFixture));

      void it('final table', async () => {
        const res = await result();
        assert.ok(res.projections.length > 0, 'the runner checked no projection');
        const failed = res.projections.filter((p) => !p.tablePassed);
        assert.deepEqual(
          failed.map((p) => p.name),
          [],
          `final table differs:\n${failed.map((p) => p.diff).join('\n')}`,
        );
      });

      if (withRecords.length > 0) {
        void it('changelog', async () => {
          const res = await result();
          for (const projection of withRecords) {
            const p = res.projections.find((r) => r.name === projection);
            assert.ok(p, `no result for ${projection}`);
            assert.equal(p.recordsPassed, true, `changelog of ${projection} differs:\n${p.diff}`);
          }
          assert.ok(res.passed, formatResult(res));
        });
      }
    });
  }
}
