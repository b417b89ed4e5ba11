// The codecs a definition asks for: one per registry-format source (with its format and reader
// schema) and an encoder per registry-format output. The runtime calls these when it builds its
// decoders and producers; JSON sources and outputs get undefined and keep the JSON path.
import type { Definition } from '../../../projections/definition/schema.ts';
import { createRegistryCodec, type RegistryCodec, valueSubject } from './codec.ts';

function registryOptions(def: Definition) {
  const r = def.schemaRegistry;
  if (!r?.url) throw new Error('schemaRegistry.url is not set (validation should have said so)');
  return {
    url: r.url,
    auth: r.username !== undefined ? { username: r.username, password: r.password ?? '' } : undefined,
  };
}

/** The decoding codec of a source, or undefined for a JSON source. */
export function sourceCodec(def: Definition, sourceName: string): RegistryCodec | undefined {
  const s = def.sources[sourceName];
  if (!s || s.format === 'json') return undefined;
  return createRegistryCodec({ ...registryOptions(def), format: s.format, readerSchema: s.readerSchema });
}

/** Encodes a projection's output values with its subject's latest schema, or undefined for JSON output. */
export function outputEncoder(
  def: Definition,
  projection: string,
): ((value: Record<string, unknown>) => Promise<Buffer>) | undefined {
  const output = def.projections[projection]?.output;
  if (!output || output.format === 'json') return undefined;
  const topic = output.topic ?? `${def.application}-${projection}`;
  const subject = output.subject ?? valueSubject(topic);
  const codec = createRegistryCodec({ ...registryOptions(def), format: output.format });
  return (value) => codec.encode(subject, value);
}
