// Internal names. Every name derives from the application id, the projection name and a purpose
// (and a join's alias), never from positions, so adding, removing or reordering projections never
// renames (and so orphans) another projection's state or topics. Names use `-` as separator, which
// YAML names cannot contain, so no two purposes can collide.
export const names = {
  outputTopic: (app: string, projection: string) => `${app}-${projection}`,
  /** A projection with `output: false` that another projection reads. */
  internalFeedTopic: (app: string, projection: string) => `${app}-${projection}-internal`,

  inputStore: (app: string, p: string) => `${app}-${p}-input`,
  aggregateStore: (app: string, p: string) => `${app}-${p}-agg`,
  /** Event ids seen within the dedup horizon (sources with `eventId`). */
  dedupStore: (app: string, p: string) => `${app}-${p}-dedup`,
  /** Entity versions of a first-writer-wins source (`conflicts: first-writer-wins`), per projection. */
  entityVersionStore: (app: string, p: string) => `${app}-${p}-versions`,
  /** Appends first-writer-wins rejected, by position in the source topic (the reporting projection). */
  rejectedAppendsStore: (app: string, p: string) => `${app}-${p}-rejected-appends`,
  /** Events first-writer-wins rejected, with the reason (one topic per application). */
  rejectionsTopic: (app: string) => `${app}-rejections`,
  repartitionTopic: (app: string, p: string) => `${app}-${p}-repartition`,
  /** A source with `partitioning: repartition`, re-keyed by its entity key for projection p. */
  sourceRepartitionTopic: (app: string, p: string, source: string) =>
    `${app}-${p}-${source}-source-repartition`,

  joinTableStore: (app: string, p: string, alias: string) => `${app}-${p}-${alias}-table`,
  joinLeftStore: (app: string, p: string, alias: string) => `${app}-${p}-${alias}-left`,
  joinRepartitionTopic: (app: string, p: string, alias: string) => `${app}-${p}-${alias}-join-repartition`,

  /** Windowed stream–stream join: each side's buffered records, and unmatched records held until their window closes. */
  streamJoinStore: (app: string, p: string, alias: string, side: 'left' | 'right' | 'unmatched') =>
    `${app}-${p}-${alias}-join-${side}`,

  fkLeftStore: (app: string, p: string, alias: string) => `${app}-${p}-${alias}-fk-left`,
  fkSubscriptionStore: (app: string, p: string, alias: string) => `${app}-${p}-${alias}-fk-subscriptions`,
  fkRightStore: (app: string, p: string, alias: string) => `${app}-${p}-${alias}-fk-table`,
  fkSubscriptionTopic: (app: string, p: string, alias: string) => `${app}-${p}-${alias}-fk-subscription`,
  fkResponseTopic: (app: string, p: string, alias: string) => `${app}-${p}-${alias}-fk-response`,

  /** A table projection's final rows (after having/select), as queries read them. */
  rowsStore: (app: string, p: string) => `${app}-${p}-rows`,
  /** Row versions by event time, for `asOf` reads (projections with `history`). */
  historyStore: (app: string, p: string) => `${app}-${p}-history`,

  /** Changelog topic of a store, as the runtime names it (Kafka Streams' convention). */
  changelogTopic: (store: string) => `${store}-changelog`,
};
