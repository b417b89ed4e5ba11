// Decoding a source topic's records, with the checks that make a record a dead letter instead of
// silently wrong input: a registry-format value (decoded with the batch's schemas fetched
// beforehand, see `prepare`), a missing key where the source takes its key from the record key, a
// stream value that is JSON but not an object, a declared field (`fields:`) of the wrong type.
import type { Definition, SourceDef } from '../../projections/definition/schema.ts';
import type { RegistryCodec } from './registry/index.ts';
import { decoderFor, type TopicDecoder } from './decode.ts';

/** A record that decoded but cannot be processed; `kind` is its dead-letter kind. */
export class RecordRejected extends Error {
  override name = 'RecordRejected';
  constructor(
    readonly kind: 'decode' | 'schema' | 'missing-key',
    message: string,
  ) {
    super(message);
  }
}

type FieldType = NonNullable<SourceDef['fields']>[string];

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  return v === null ? 'null' : typeof v;
}

function fits(v: unknown, type: FieldType): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return typeOf(v) === 'object';
    case 'list':
      return Array.isArray(v);
  }
}

const isRow = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export interface SourceDecoder extends TopicDecoder {
  /** Fetches what a batch needs before its synchronous decoding (registry schemas). */
  prepare?: (values: Iterable<Buffer | null>) => Promise<void>;
}

export function sourceDecoder(def: Definition, sourceName: string, codec?: RegistryCodec): SourceDecoder {
  const source = def.sources[sourceName]!;
  const json = decoderFor({ role: 'source', keyFormat: source.keyFormat });
  const fields = Object.entries(source.fields ?? {}).filter(([, t]) => t !== 'any');
  const keyFromRecord = source.key === undefined;
  const isStream = source.kind === 'stream';
  return {
    prepare: codec ? (values) => codec.prepare(values) : undefined,
    decode(raw) {
      const record = codec ? json.decode({ ...raw, value: null }) : json.decode(raw);
      if (codec && raw.value !== null) record.value = codec.decodeSync(raw.value);
      const value = record.value;
      if (keyFromRecord && (record.key === null || record.key === undefined) && (value !== null || !isStream))
        throw new RecordRejected(
          'missing-key',
          `the record has no key, and source ${sourceName} takes its key from the record key`,
        );
      if (value === null) return record; // a stream "tombstone" (skipped) or a table delete
      if (!isRow(value)) {
        if (isStream)
          throw new RecordRejected('decode', `the value is ${typeOf(value)} JSON, not an object (an event)`);
        return record;
      }
      for (const [field, type] of fields) {
        const v = value[field];
        if (v !== undefined && v !== null && !fits(v, type))
          throw new RecordRejected('schema', `field ${field} is declared ${type} but is ${typeOf(v)}`);
      }
      return record;
    },
  };
}
