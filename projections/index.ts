// The public API of the pure engine: compile a definition into a topology, run it, test it.
export { AGGREGATES, aggregateSpec, type AggregateSpec } from './aggregates/index.ts';
export { compileTopology, describeTopology, Executor, names } from './graph/index.ts';
export type {
  ExchangeSpec,
  ExecutorOptions,
  ProjectionInfo,
  SourceInfo,
  StoreSpec,
  SubTopology,
  TopicInput,
  Topology,
} from './graph/index.ts';
export type { ProcessorContext } from './operators/types.ts';
export { TopologyError } from './operators/types.ts';
export { formatResult, loadFixture, runFixture, type Fixture, type FixtureResult } from './testing/index.ts';
