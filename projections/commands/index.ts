// The write side's pure core: the commands language, decisions, entity versions, offline tests.
export * from './schema.ts';
export {
  type CompiledCommand,
  compileCommand,
  compileCommands,
  CommandError,
  type Decision,
  type DecideRequest,
  type EmittedEvent,
  type EntityInfo,
  type StateRead,
} from './compile.ts';
export { type FieldError, type InputResult, inputJsonSchema, validateInput } from './input.ts';
export {
  commandStateProjections,
  entityVersionProjectionName,
  inlineStateProjectionName,
  isCommandStateProjection,
} from './state.ts';
export {
  checkEventVersion,
  expectedVersionHolds,
  parseExpectedVersion,
  type VersionCheck,
} from './versions.ts';
export { openApiDocument } from './openapi.ts';
export * from './testing/index.ts';
