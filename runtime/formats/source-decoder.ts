// Decoding a source topic's records, with the checks that make a record a dead letter instead of
// silently wrong input: a registry-format value (decoded with the batch's schemas fetched
// beforehand, see `prepare`), a missing key where the source takes its key from the record key, a
// stream value that is not an object (JSON null and empty records included: a stream holds events),
// a declared field (`fields:`) of the wrong type, and the entity checks (runtime/sources: a missing
// key or event type, a record on the wrong partition).
import { handledEventTypes } from '../../projections/definition/handled-types.ts';
import type { Definition, SourceDef } from '../../projections/definition/schema.ts';
import { type EntityCheck, entityCheck } from '../sources/entity-check.ts';
import type { InputRecord } from '../../projections/records.ts';
import type { RawRecord } from './raw-record.ts';
import type { RegistryCodec } from './registry/index.ts';
import { decoderFor, type TopicDecoder } from './decode.ts';

/** A record that decoded but cannot be processed; `kind` is its dead-letter kind. */
export class RecordRejected extends Error {
  override name = 'RecordRejected';
  constructor(
    readonly kind: 'decode' | 'schema' | 'missing-key' | 'missing-type' | 'misrouted' | 'key-mismatch',
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
  /** Its entity checks; the application sets their partition count once it knows the topic's. */
  entity: EntityCheck;
}

export function sourceDecoder(def: Definition, sourceName: string, codec?: RegistryCodec): SourceDecoder {
  const source = def.sources[sourceName]!;
  const json = decoderFor({ role: 'source', keyFormat: source.keyFormat });
  const fields = Object.entries(source.fields ?? {}).filter(([, t]) => t !== 'any');
  const keyFromRecord = source.key === undefined;
  const isStream = source.kind === 'stream';
  const entity = entityCheck(sourceName, source, handledEventTypes(def, sourceName));
  return {
    prepare: codec ? (values) => codec.prepare(values) : undefined,
    entity,
    decode(raw) {
      const record = codec ? json.decode({ ...raw, value: null }) : json.decode(raw);
      if (codec && raw.value !== null) record.value = codec.decodeSync(raw.value);
      const value = record.value;
      if (keyFromRecord && (record.key === null || record.key === undefined) && (value !== null || !isStream))
        throw new RecordRejected(
          'missing-key',
          `the record has no key, and source ${sourceName} takes its key from the record key`,
        );
      if (value === null && isStream)
        throw new RecordRejected(
          'decode',
          raw.value === null
            ? 'the record has no value (a tombstone); a stream source holds events'
            : 'the value is null JSON, not an object (an event)',
        );
      if (value === null) return rejectIfWrong(record, raw); // a table delete
      if (!isRow(value)) {
        if (isStream)
          throw new RecordRejected('decode', `the value is ${typeOf(value)} JSON, not an object (an event)`);
        return rejectIfWrong(record, raw);
      }
      for (const [field, type] of fields) {
        const v = value[field];
        if (v !== undefined && v !== null && !fits(v, type))
          throw new RecordRejected('schema', `field ${field} is declared ${type} but is ${typeOf(v)}`);
      }
      return rejectIfWrong(record, raw);
    },
  };
  function rejectIfWrong(record: InputRecord, raw: RawRecord): InputRecord {
    const rejection = entity.check(record, raw);
    if (rejection) throw new RecordRejected(rejection.kind, rejection.message);
    return record;
  }
}
