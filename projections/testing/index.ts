// The fixture runner behind `streamfold test`: our ksql-test-runner / TopologyTestDriver.
export {
  type Fixture,
  FixtureError,
  type FixtureInput,
  fixtureFromObject,
  loadFixture,
  parseDefinitionText,
  readFixtureYaml,
} from './fixture.ts';
export { finalTable, type FixtureResult, type ProjectionResult, runFixture } from './run.ts';
export { formatResult } from './format.ts';
