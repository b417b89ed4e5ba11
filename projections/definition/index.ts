// The projection language: schema, parsing with located errors, semantic validation.
export * from './schema.ts';
export { parseDefinition, type ParseOptions, type ParseResult } from './parse.ts';
export { checkDefinition, type CheckResult } from './validate.ts';
export {
  formatLocatedError,
  formatPath,
  type LocatedError,
  type PathSegment,
  type Problem,
} from './problems.ts';
export { outputTopicOf, joinsOf } from './model.ts';
export { aggregateShape, groupKeyNames, type AggregateShape, type AggregateFunction } from './aggregates.ts';
