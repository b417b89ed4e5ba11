// The fixture format of `streamfold test` (and of the ksqlDB conformance suite): inputs produced in
// order, and per projection the expected final table and/or the full output changelog.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { checkDefinition, formatLocatedError, formatPath, parseDefinition } from '../definition/index.ts';
import type { Definition } from '../definition/schema.ts';

export const FixtureInput = z.strictObject({
  topic: z.string().min(1),
  key: z.unknown().optional(),
  /** null = tombstone (table source) or null-valued record (stream source). */
  value: z.unknown(),
  timestamp: z.number().default(0),
  partition: z.number().int().min(0).optional(),
  offset: z.number().int().min(0).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const ExpectedRecord = z.strictObject({
  key: z.unknown(),
  value: z.record(z.string(), z.unknown()).nullable(),
  timestamp: z.number().optional(),
});

export const ExpectedProjection = z.strictObject({
  /** canonical key (encodeKey) → row; null = deleted (absent or tombstoned). */
  table: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()).optional(),
  records: z.array(ExpectedRecord).optional(),
});

const FixtureFile = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  origin: z.record(z.string(), z.unknown()).optional(),
  /** A path relative to the fixture file, or an inline definition. */
  definition: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  inputs: z.array(FixtureInput),
  expected: z.record(z.string(), ExpectedProjection),
});

export type FixtureInput = z.output<typeof FixtureInput>;
export type ExpectedRecord = z.output<typeof ExpectedRecord>;
export type ExpectedProjection = z.output<typeof ExpectedProjection>;

export interface Fixture {
  name: string;
  description?: string;
  origin?: Record<string, unknown>;
  /** The fixture's file, when loaded from one. */
  file?: string;
  definition: Definition;
  inputs: FixtureInput[];
  expected: Record<string, ExpectedProjection>;
}

export class FixtureError extends Error {
  override name = 'FixtureError';
}

export function describeZodError(where: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  return `${where}:\n${lines.join('\n')}`;
}

/** Parses and validates a definition given as YAML text; errors are located as file:line:col. */
export function parseDefinitionText(text: string, file: string): Definition {
  const r = parseDefinition(text, file);
  if (r.errors)
    throw new FixtureError(
      `${file}: invalid definition:\n${r.errors.map((e) => `  ${formatLocatedError(e)}`).join('\n')}`,
    );
  return r.definition;
}

/** Validates an inline definition (same checks as a file, located by path). */
function parseDefinitionObject(raw: unknown, where: string): Definition {
  const r = checkDefinition(raw);
  if (r.definition) return r.definition;
  const lines = r.problems.map((p) => `  ${p.path.length ? `${formatPath(p.path)}: ` : ''}${p.message}`);
  throw new FixtureError(`${where}: invalid definition:\n${lines.join('\n')}`);
}

/** A fixture's `definition:`: a path relative to the fixture file, or an inline definition. */
export async function resolveDefinition(
  spec: string | Record<string, unknown>,
  file: string | undefined,
): Promise<Definition> {
  const where = file ?? 'fixture';
  if (typeof spec !== 'string') return parseDefinitionObject(spec, `${where}: definition`);
  const defFile = path.resolve(file ? path.dirname(file) : process.cwd(), spec);
  let text: string;
  try {
    text = await readFile(defFile, 'utf8');
  } catch {
    throw new FixtureError(`${where}: cannot read definition ${spec}`);
  }
  return parseDefinitionText(text, defFile);
}

/** Builds a fixture from its parsed YAML; `file` resolves a definition path. */
export async function fixtureFromObject(raw: unknown, file?: string): Promise<Fixture> {
  const where = file ?? 'fixture';
  const r = FixtureFile.safeParse(raw);
  if (!r.success) throw new FixtureError(describeZodError(`${where}: invalid fixture`, r.error));
  const f = r.data;
  const definition = await resolveDefinition(f.definition, file);
  return {
    name: f.name,
    description: f.description,
    origin: f.origin,
    file,
    definition,
    inputs: f.inputs,
    expected: f.expected,
  };
}

/** The parsed YAML of a fixture file. */
export async function readFixtureYaml(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new FixtureError(`cannot read fixture ${file}`);
  }
  try {
    return YAML.parse(text) as unknown;
  } catch (err) {
    throw new FixtureError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function loadFixture(file: string): Promise<Fixture> {
  return fixtureFromObject(await readFixtureYaml(file), file);
}
