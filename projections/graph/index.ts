// Definition → topology: the compiler, its description, the pure executor that runs a topology, and the
// names of its internal stores and topics.
export { compileTopology } from './compile.ts';
export { describeTopology } from './describe.ts';
export { Executor, type ExecutorInput, type ExecutorOptions } from './executor.ts';
export { names } from './names.ts';
export type {
  ExchangeSpec,
  ProjectionInfo,
  SourceInfo,
  StoreSpec,
  SubTopology,
  TopicInput,
  Topology,
} from './topology.ts';
