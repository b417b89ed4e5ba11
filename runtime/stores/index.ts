// LevelDB state stores with a write cache, changelog records and checkpoints (docs/stores.md).
export { CachedStore, type PreparedRow } from './cached-store.ts';
export { acknowledgedOffsets, type ProduceAck } from './acknowledged-offsets.ts';
export { type ChangelogTopicMessages, changelogMessages } from './changelog-messages.ts';
export { type Checkpoint, type TopicPartition, topicPartitionKey } from './checkpoint.ts';
export {
  type ChangelogRecord,
  type OpenOutcome,
  type PreparedCommit,
  stateDirectory,
  type StoreMemorySettings,
  storeMemorySettings,
  restoreFetchBytes,
  TaskStores,
  type TaskStoresOptions,
} from './task-stores.ts';
export { tasksWithLocalState } from './local-state.ts';
export { decodeValue, encodeValue } from './value-codec.ts';
