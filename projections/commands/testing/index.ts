// Offline tests of commands: the fixture format and its runner, used by `streamfold test`.
export {
  type CommandFixture,
  commandFixtureFromObject,
  isCommandFixture,
  loadCommandFixture,
} from './fixture.ts';
export {
  type CommandFixtureResult,
  formatCommandResult,
  runCommandFixture,
  withCommandState,
} from './run.ts';
