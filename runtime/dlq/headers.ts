// The headers a dead letter carries next to the original record's own headers.
export const DLQ_HEADER_PREFIX = 'streamfold.error.';

export const DLQ_HEADERS = {
  kind: 'streamfold.error.kind',
  message: 'streamfold.error.message',
  sourceTopic: 'streamfold.error.source.topic',
  sourcePartition: 'streamfold.error.source.partition',
  sourceOffset: 'streamfold.error.source.offset',
  /** The original record's timestamp (ms), so a replay can restore it. */
  sourceTimestamp: 'streamfold.error.source.timestamp',
  projection: 'streamfold.error.projection',
  /** When the record failed, ISO-8601. */
  time: 'streamfold.error.time',
} as const;

/** Messages are cut to this many characters: a header is not the place for a whole payload. */
export const MAX_MESSAGE_LENGTH = 2000;
