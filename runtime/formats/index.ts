// Turning Kafka bytes into engine records and back, and what happens to records that do not decode.
export {
  DecodeFailure,
  type DecodeFailureKind,
  type DecoderSpec,
  decoderFor,
  KEY_FORMAT_HEADER,
  type TopicDecoder,
  type TopicRole,
} from './decode.ts';
export { type EncodedMessage, encodeExchangeRecord, encodeProjectionRecord } from './encode.ts';
export {
  logAndSkip,
  PoisonCounter,
  type PoisonHandler,
  type PoisonRecord,
  type PoisonStage,
} from './poison.ts';
export { type RawRecord, textHeaders } from './raw-record.ts';
