// Restoring state stores from their changelogs (docs/stores.md, "Restore").
export type { ChangelogEntry, ChangelogSource, FetchedPartition, OffsetRange } from './changelog-source.ts';
export { KafkaChangelogSource, type KafkaChangelogSourceOptions } from './kafka-changelog-source.ts';
export {
  type RestoreOptions,
  type RestoreProgress,
  type RestoreSummary,
  restoreStores,
  type StoreRestoreResult,
} from './restore-stores.ts';
