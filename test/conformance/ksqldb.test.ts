// ksqlDB conformance: the 40 cases of ksqlDB's own query-validation tests, translated into our
// fixture format (scripts/conformance/translate.ts). `npm run conformance` runs the same files.
import { describe } from 'node:test';
import { defineFixtureTests } from './fixture-suite.ts';

void describe('ksqlDB conformance', () => {
  defineFixtureTests(new URL('./ksqldb/', import.meta.url), 40);
});
