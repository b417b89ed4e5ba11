// ksqlDB conformance: the 80 cases of ksqlDB's own query-validation tests (40 in cases.json, 40
// windowed ones in windows.json), translated into our
// fixture format (scripts/conformance/translate.ts). `npm run conformance` runs the same files.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_CASES,
  FIXTURE_DIR,
  generateFixtures,
  WINDOW_CASES,
} from '../../scripts/conformance/generate.ts';
import { defineFixtureTests } from './fixture-suite.ts';

void describe('ksqlDB conformance', () => {
  // The facts (inputs, expected output) must stay exactly as cases.json has them: a fixture edited
  // by hand to make the engine pass fails here. The case files sit beside the repository (developer
  // machines, CI); a clone elsewhere has only the fixtures, which the tests below still run.
  // Looked for when the test runs, not when the file loads: the files can come or go in between.
  void it('fixtures are generated from the cases and definitions, unedited', (t) => {
    const missing = [DEFAULT_CASES, WINDOW_CASES].filter((f) => !existsSync(f));
    if (missing.length > 0) {
      t.skip(`the ksqlDB case files are not beside this clone: ${missing.join(', ')}`);
      return;
    }
    const stale = [...generateFixtures()]
      .filter(([id, text]) => readFileSync(path.join(FIXTURE_DIR, `${id}.yaml`), 'utf8') !== text)
      .map(([id]) => id);
    assert.deepEqual(stale, []);
  });

  defineFixtureTests(new URL('./ksqldb/', import.meta.url), 80);
});
