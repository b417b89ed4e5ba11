// Internal topics: names, creation with the right configs, verification, co-partitioning.
export {
  checkCoPartitioning,
  createTopicsAwaitingLeaders,
  defaultTopicConfigs,
  describeTopicConfigs,
  type EnsureTopicsResult,
  ensureTopics,
  type InternalTopicKind,
  type InternalTopicSpec,
  partitionCounts,
  REPARTITION_RETENTION_MS,
  TopicMismatchError,
  verifyTopics,
} from './internal-topics.ts';
export { awaitTopicsServed } from './topics-served.ts';
export { changelogTopic, checkedTopicName } from './topic-names.ts';
