// Registry formats: Avro and JSON Schema values in the Confluent wire format (magic byte 0, 4-byte
// big-endian schema id, payload), through @kafkajs/confluent-schema-registry against any registry
// with the Confluent API (tested with Apicurio Registry's ccompat API).
//
// Decoding is split for the runtime's synchronous decoders: `prepare(values)` fetches the schemas
// of a batch (async, once per schema id), then `decodeSync(value)` decodes without I/O. `decode`
// does both for one value. Protobuf values are framed here (./protobuf.ts), not by the client,
// whose framing lacks Confluent's message indexes.
import { createRequire } from 'node:module';
import type RegistryClient from '@kafkajs/confluent-schema-registry';
import type { schemaFromConfluentSchema as SchemaFromConfluentSchema } from '@kafkajs/confluent-schema-registry/dist/schemaTypeResolver.js';
import { RegistryDecodeError, RegistryEncodeError, RegistryUnavailableError } from './errors.ts';
import { toPlain } from './plain.ts';
import { decodeProtobuf, encodeProtobuf, type ProtoType } from './protobuf.ts';

const require = createRequire(import.meta.url);

/**
 * The client, loaded on first use: with its Avro, Protobuf and JSON Schema libraries it takes about
 * 0.2 s to load, which a deployment of JSON sources should not pay at every start.
 */
function loadClient(): {
  SchemaRegistry: typeof RegistryClient.SchemaRegistry;
  schemaFromConfluentSchema: typeof SchemaFromConfluentSchema;
} {
  const { SchemaRegistry } = require('@kafkajs/confluent-schema-registry') as typeof RegistryClient;
  const { schemaFromConfluentSchema } =
    require('@kafkajs/confluent-schema-registry/dist/schemaTypeResolver.js') as {
      schemaFromConfluentSchema: typeof SchemaFromConfluentSchema;
    };
  return { SchemaRegistry, schemaFromConfluentSchema };
}

/** The client's SchemaType enum, whose members are these strings (not loaded with the client). */
const SchemaType = {
  AVRO: 'AVRO' as RegistryClient.SchemaType.AVRO,
  JSON: 'JSON' as RegistryClient.SchemaType.JSON,
  PROTOBUF: 'PROTOBUF' as RegistryClient.SchemaType.PROTOBUF,
};

export type RegistryFormat = 'avro' | 'json-schema' | 'protobuf';

export interface RegistrySchema {
  format: RegistryFormat;
  /** The schema document (an object, or its JSON text). */
  schema: object | string;
}

export interface RegistryCodecOptions {
  /** The Confluent-compatible API root, e.g. `http://127.0.0.1:8081` or Apicurio's `…/apis/ccompat/v7`. */
  url: string;
  auth?: { username: string; password: string };
  /** Accept only values whose schema has this format (a source's `format`); others are schema-mismatch. */
  format?: RegistryFormat;
  /**
   * Avro only: decode every value into this reader schema, resolving each writer schema against it
   * (Avro schema resolution: fields added with a default get the default, removed fields are
   * dropped). Without it each value decodes in its writer's own shape.
   */
  readerSchema?: object;
  /** HTTP retries per registry request (default 2). */
  retries?: number;
}

export interface RegistryCodec {
  /** Decodes one value, fetching its schema when needed. */
  decode(value: Buffer): Promise<unknown>;
  /** Fetches the schemas of these values that are not known yet. Throws only RegistryUnavailableError. */
  prepare(values: Iterable<Buffer | null>): Promise<void>;
  /** Decodes a value whose schema `prepare` or `decode` fetched; throws RegistryDecodeError. */
  decodeSync(value: Buffer): unknown;
  /** Registers a schema under a subject (idempotent: an identical schema keeps its id). */
  register(subject: string, schema: RegistrySchema): Promise<number>;
  /** Encodes with the latest schema of a subject, or registers the given schema first. */
  encode(target: string | { subject: string; schema: RegistrySchema }, value: unknown): Promise<Buffer>;
}

/** The subject of a topic's values under the default (TopicNameStrategy) naming. */
export const valueSubject = (topic: string): string => `${topic}-value`;

const MAGIC_BYTE = 0;

/** The schema id and payload of a registry-framed value. */
export function unframe(value: Buffer): { id: number; payload: Buffer } {
  if (value.length < 5 || value[0] !== MAGIC_BYTE)
    throw new RegistryDecodeError(
      'not-registry-framed',
      value.length < 5
        ? `the value has ${value.length} bytes: too short for the registry framing (magic byte + schema id)`
        : `the value starts with byte ${value[0]}, not the registry framing's magic byte 0`,
    );
  return { id: value.readInt32BE(1), payload: value.subarray(5) };
}

interface AvroType {
  fromBuffer(buffer: Buffer, resolver?: unknown, noCheck?: boolean): unknown;
  createResolver(writer: AvroType): unknown;
  equals(other: AvroType): boolean;
}
interface JsonType {
  fromBuffer(buffer: Buffer): unknown;
}

type Decoder = (payload: Buffer) => unknown;

const FORMAT_OF_TYPE: Record<string, RegistryFormat> = {
  [SchemaType.AVRO]: 'avro',
  [SchemaType.JSON]: 'json-schema',
  [SchemaType.PROTOBUF]: 'protobuf',
};

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const statusOf = (err: unknown): number | undefined =>
  err !== null && typeof err === 'object' && typeof (err as { status?: unknown }).status === 'number'
    ? (err as { status: number }).status
    : undefined;

export function createRegistryCodec(options: RegistryCodecOptions): RegistryCodec {
  const { SchemaRegistry, schemaFromConfluentSchema } = loadClient();
  const registry = new SchemaRegistry({
    host: options.url,
    auth: options.auth,
    retry: { retries: options.retries ?? 2 },
  });
  const decoders = new Map<number, Decoder>();
  /** Ids the registry does not know: every value framed with one is a schema failure. */
  const missing = new Set<number>();
  const latestIds = new Map<string, number>();
  const reader = options.readerSchema
    ? (schemaFromConfluentSchema({
        type: SchemaType.AVRO,
        schema: JSON.stringify(options.readerSchema),
      }) as unknown as AvroType)
    : undefined;

  function decoderFor(id: number, type: string, schema: unknown): Decoder {
    const format = FORMAT_OF_TYPE[type] ?? type;
    const refuse =
      (message: string): Decoder =>
      () => {
        throw new RegistryDecodeError('schema-mismatch', message, id);
      };
    if (options.format && format !== options.format)
      return refuse(`schema ${id} is ${format}, but the source's format is ${options.format}`);
    if (format === 'protobuf') {
      const first = (schema as { message: ProtoType }).message;
      return (payload) => decodeProtobuf(first, payload);
    }
    if (format === 'json-schema') {
      const json = schema as JsonType;
      return (payload) => json.fromBuffer(payload);
    }
    const writer = schema as AvroType;
    if (!reader) return (payload) => writer.fromBuffer(payload);
    if (reader.equals(writer)) return (payload) => reader.fromBuffer(payload);
    let resolver: unknown;
    try {
      resolver = reader.createResolver(writer);
    } catch (err) {
      return refuse(`schema ${id} cannot be read with the reader schema: ${errorText(err)}`);
    }
    return (payload) => reader.fromBuffer(payload, resolver);
  }

  async function load(id: number): Promise<void> {
    if (decoders.has(id) || missing.has(id)) return;
    try {
      await registry.getSchema(id);
    } catch (err) {
      if (statusOf(err) === 404) {
        missing.add(id);
        return;
      }
      throw new RegistryUnavailableError(`cannot fetch schema ${id} from ${options.url}: ${errorText(err)}`, {
        cause: err,
      });
    }
    const entry = registry.cache.getSchema(id) as { type: string; schema: unknown };
    decoders.set(id, decoderFor(id, entry.type, entry.schema));
  }

  function decodeSync(value: Buffer): unknown {
    const { id, payload } = unframe(value);
    const decode = decoders.get(id);
    if (!decode) {
      if (missing.has(id))
        throw new RegistryDecodeError('unknown-schema', `the registry has no schema ${id}`, id);
      throw new Error(`schema ${id} is not loaded: call prepare() with this value first`);
    }
    try {
      return toPlain(decode(payload));
    } catch (err) {
      if (err instanceof RegistryDecodeError) throw err;
      throw new RegistryDecodeError(
        'schema-mismatch',
        `the value does not fit schema ${id}: ${errorText(err)}`,
        id,
        {
          cause: err,
        },
      );
    }
  }

  async function register(subject: string, s: RegistrySchema): Promise<number> {
    const type =
      s.format === 'avro' ? SchemaType.AVRO : s.format === 'protobuf' ? SchemaType.PROTOBUF : SchemaType.JSON;
    const text = typeof s.schema === 'string' ? s.schema : JSON.stringify(s.schema);
    try {
      const { id } = await registry.register({ type, schema: text }, { subject });
      latestIds.set(subject, id);
      return id;
    } catch (err) {
      throw new RegistryEncodeError(`cannot register the schema under ${subject}: ${errorText(err)}`, {
        cause: err,
      });
    }
  }

  return {
    async decode(value) {
      await load(unframe(value).id);
      return decodeSync(value);
    },
    async prepare(values) {
      const ids = new Set<number>();
      for (const v of values) {
        if (v === null || v.length < 5 || v[0] !== MAGIC_BYTE) continue;
        const id = v.readInt32BE(1);
        if (!decoders.has(id) && !missing.has(id)) ids.add(id);
      }
      await Promise.all([...ids].map(load));
    },
    decodeSync,
    register,
    async encode(target, value) {
      let id: number;
      if (typeof target === 'string') {
        const known = latestIds.get(target);
        if (known === undefined) {
          try {
            id = await registry.getLatestSchemaId(target);
          } catch (err) {
            throw new RegistryEncodeError(`no schema for subject ${target}: ${errorText(err)}`, {
              cause: err,
            });
          }
          latestIds.set(target, id);
        } else id = known;
      } else {
        id = await register(target.subject, target.schema);
      }
      try {
        await registry.getSchema(id);
      } catch (err) {
        throw new RegistryUnavailableError(
          `cannot fetch schema ${id} from ${options.url}: ${errorText(err)}`,
          {
            cause: err,
          },
        );
      }
      const entry = registry.cache.getSchema(id) as { type: string; schema: unknown };
      try {
        if (FORMAT_OF_TYPE[entry.type] === 'protobuf') {
          const head = Buffer.alloc(5);
          head.writeInt32BE(id, 1);
          const first = (entry.schema as { message: ProtoType }).message;
          return Buffer.concat([head, encodeProtobuf(first, value as Record<string, unknown>)]);
        }
        return await registry.encode(id, value);
      } catch (err) {
        const paths = (err as { paths?: unknown }).paths;
        const where = Array.isArray(paths) && paths.length > 0 ? ` (at ${JSON.stringify(paths)})` : '';
        throw new RegistryEncodeError(`the value does not fit schema ${id}${where}: ${errorText(err)}`, {
          cause: err,
        });
      }
    },
  };
}
