// Protobuf in Confluent's wire format. After the magic byte and the schema id, Confluent's
// serializers write the *message indexes*: which message of the .proto file the payload is, as a
// path of indexes (top-level message in declaration order, then nested messages), encoded as zigzag
// varints: the count, then the indexes; the common case [0] (the first message) as a single 0 byte.
// The registry client leaves the indexes out, so its bytes do not interoperate; this module adds
// them. The client still parses the schema (protobufjs underneath); we navigate its reflection.

/** The parts of protobufjs' reflection we use (duck-typed: protobufjs is the client's dependency). */
export interface ProtoType {
  name: string;
  parent: ProtoNamespace | null;
  nestedArray?: unknown[];
  decode(buffer: Uint8Array): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  verify(value: unknown): string | null;
  fromObject(value: Record<string, unknown>): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
}
interface ProtoNamespace {
  nestedArray?: unknown[];
}

const isType = (x: unknown): x is ProtoType =>
  x !== null &&
  typeof x === 'object' &&
  'fields' in x &&
  typeof (x as unknown as ProtoType).decode === 'function';

const messagesOf = (ns: ProtoNamespace | null | undefined): ProtoType[] =>
  (ns?.nestedArray ?? []).filter(isType);

/** Reads one zigzag varint; returns the value and the next offset. */
function readZigzag(buf: Buffer, at: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (let i = at; i < buf.length && shift < 35; i++) {
    const b = buf[i]!;
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [(result >>> 1) ^ -(result & 1), i + 1];
    shift += 7;
  }
  throw new Error('truncated message indexes');
}

function writeZigzag(n: number): number[] {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  const out: number[] = [];
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** The message indexes at the start of a payload (after magic byte and id) and where the message starts. */
export function readMessageIndexes(payload: Buffer): { indexes: number[]; offset: number } {
  const [count, first] = readZigzag(payload, 0);
  if (count === 0) return { indexes: [0], offset: first };
  if (count < 0 || count > 64) throw new Error(`implausible message index count ${count}`);
  const indexes: number[] = [];
  let at = first;
  for (let i = 0; i < count; i++) {
    const [index, next] = readZigzag(payload, at);
    indexes.push(index);
    at = next;
  }
  return { indexes, offset: at };
}

export function writeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  return Buffer.from([...writeZigzag(indexes.length), ...indexes.flatMap(writeZigzag)]);
}

/**
 * The message type an index path names, starting from the file's top-level messages. `first` is
 * the message the client picked (the file's first top-level message): its parent is the file's
 * package namespace.
 */
export function messageAt(first: ProtoType, indexes: readonly number[]): ProtoType {
  let candidates = messagesOf(first.parent);
  let type: ProtoType | undefined;
  for (const i of indexes) {
    type = candidates[i];
    if (!type) throw new Error(`no message at index path [${indexes.join(', ')}]`);
    candidates = messagesOf(type);
  }
  if (!type) throw new Error('empty message index path');
  return type;
}

/** Plain JSON from a decoded message: proto3 defaults included, enums by name, bytes base64, 64-bit ints as numbers. */
export function decodeProtobuf(first: ProtoType, payload: Buffer): Record<string, unknown> {
  const { indexes, offset } = readMessageIndexes(payload);
  const type = messageAt(first, indexes);
  return type.toObject(type.decode(payload.subarray(offset)), {
    longs: Number,
    enums: String,
    bytes: String,
    defaults: true,
    oneofs: true,
  });
}

interface ProtoField {
  name: string;
  repeated: boolean;
  map: boolean;
  resolve(): ProtoField;
  resolvedType: { values?: Record<string, number> } | ProtoType | null;
}

/**
 * JSON values name enums by their names; protobufjs' verify wants numbers. Names are replaced by
 * their numbers (unknown names fail), deeply, so verify can check everything else strictly.
 */
function enumNamesToNumbers(type: ProtoType, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const field of (type as unknown as { fieldsArray: ProtoField[] }).fieldsArray) {
    if (!(field.name in out)) continue;
    const t = field.resolve().resolvedType;
    const convert = (v: unknown): unknown => {
      if (t && 'values' in t && t.values && typeof v === 'string') {
        if (!(v in t.values)) throw new Error(`${field.name}: unknown enum value ${JSON.stringify(v)}`);
        return t.values[v];
      }
      return t && isType(t) ? enumNamesToNumbers(t, v) : v;
    };
    const v = out[field.name];
    if (field.map && v && typeof v === 'object')
      out[field.name] = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convert(x)]));
    else out[field.name] = field.repeated && Array.isArray(v) ? v.map(convert) : convert(v);
  }
  return out;
}

/** The payload (indexes + message bytes) of a value as the file's first message. */
export function encodeProtobuf(first: ProtoType, value: Record<string, unknown>): Buffer {
  const problem = first.verify(enumNamesToNumbers(first, value));
  if (problem) throw new Error(problem);
  const bytes = first.encode(first.fromObject(value)).finish();
  return Buffer.concat([writeMessageIndexes([0]), Buffer.from(bytes)]);
}
