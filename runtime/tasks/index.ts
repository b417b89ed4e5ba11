// Tasks: one per partition number, processing, buffering and committing (docs/runtime.md).
// Re-exports only.
export { AtLeastOnceTransport, type CommitOutcome, type CommitTransport } from './commit-transport.ts';
export { ExactlyOnceTransport, transactionalIdOf } from './exactly-once-transport.ts';
export { clampTimestamp, MAX_FUTURE_TIMESTAMP_MS } from './commit-messages.ts';
export { EXCHANGES_PER_COMMIT_ENV, LingeringSender, type RecordSender } from './lingering-sender.ts';
export { type FetchMark, PartitionGroup, type QueuedRecord } from './partition-group.ts';
export { OutputBuffer, type TopicMessages } from './output-buffer.ts';
export { storeNames, taskProjections, type TopicRoute, topicRoutes } from './routing.ts';
export {
  Task,
  type AppendedRecord,
  type AppliedAtAppend,
  type TaskCommit,
  type TaskCounters,
  type TaskOptions,
  type TaskProjection,
  type TaskState,
} from './task.ts';
