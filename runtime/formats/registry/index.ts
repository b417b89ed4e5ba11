// Registry formats (Avro, JSON Schema) for source values and output topics; see docs/event-sourcing.md.
export {
  createRegistryCodec,
  type RegistryCodec,
  type RegistryCodecOptions,
  type RegistryFormat,
  type RegistrySchema,
  unframe,
  valueSubject,
} from './codec.ts';
export {
  RegistryDecodeError,
  type RegistryDecodeErrorKind,
  RegistryEncodeError,
  RegistryUnavailableError,
} from './errors.ts';
export { toPlain } from './plain.ts';
export { outputEncoder, sourceCodec } from './from-definition.ts';
