// Dead letters: records that cannot be decoded or processed, kept with why and where they failed.
export {
  classifyError,
  DEAD_LETTER_KINDS,
  type DeadLetterKind,
  isDeadLetterKind,
  kindOfPoison,
} from './classify.ts';
export {
  formatDeadLetter,
  readDeadLetters,
  type ReplayFilter,
  replayDeadLetters,
  selectDeadLetters,
} from './commands.ts';
export { DLQ_HEADER_PREFIX, DLQ_HEADERS } from './headers.ts';
export {
  type DeadLetter,
  deadLetterFromPoison,
  type DeadLetterMessage,
  type DeadLetterOptions,
  deadLetterRecord,
  type OriginRecord,
  parseDeadLetter,
  type PoisonLike,
} from './record.ts';
export {
  deadLetterTopicForTopic,
  deadLetterTopicOf,
  deadLetterTopics,
  defaultDeadLetterTopic,
} from './topic.ts';
export { type BatchSender, DeadLetterBuffer } from './buffer.ts';
