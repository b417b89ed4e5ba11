// The example projections.yaml at the repository root, checked by its fixtures.
import { describe } from 'node:test';
import { defineFixtureTests } from './fixture-suite.ts';

void describe('example projections.yaml', () => {
  defineFixtureTests(new URL('../fixtures/examples/', import.meta.url));
});
