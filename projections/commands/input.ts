// A command's input: validating a request body against the declared fields (field errors become
// HTTP 400 later), and the JSON Schema of that body (for the HTTP API and its OpenAPI document).
import type { CommandDef, InputFieldDef } from './schema.ts';

/** One problem with one input field; `field` is empty for the body as a whole. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type InputResult =
  | { readonly input: Record<string, unknown>; readonly errors?: undefined }
  | { readonly input?: undefined; readonly errors: readonly FieldError[] };

interface FieldSpec {
  readonly type: string;
  readonly optional: boolean;
  readonly description?: string | undefined;
  readonly min?: number | undefined;
  readonly max?: number | undefined;
  readonly enum?: readonly (string | number | boolean)[] | undefined;
}

export function fieldSpec(def: InputFieldDef): FieldSpec {
  return typeof def === 'string' ? { type: def, optional: false } : def;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'an object';
  return typeof value === 'string' ? `the string "${value}"` : `${typeof value} ${String(value)}`;
}

const TYPE_CHECKS: Record<string, { test: (v: unknown) => boolean; noun: string }> = {
  string: { test: (v) => typeof v === 'string', noun: 'a string' },
  number: { test: (v) => typeof v === 'number' && Number.isFinite(v), noun: 'a number' },
  int: { test: (v) => Number.isInteger(v), noun: 'an integer' },
  boolean: { test: (v) => typeof v === 'boolean', noun: 'true or false' },
  object: { test: isPlainObject, noun: 'an object' },
  list: { test: Array.isArray, noun: 'a list' },
  any: { test: () => true, noun: 'any value' },
};

/** The problem with one field's value, or undefined when it is fine. */
function fieldProblem(spec: FieldSpec, value: unknown): string | undefined {
  if (value === undefined || value === null) return spec.optional ? undefined : 'is required';
  const check = TYPE_CHECKS[spec.type]!;
  if (!check.test(value)) return `must be ${check.noun}, got ${describe(value)}`;
  const size =
    typeof value === 'number'
      ? { n: value, what: '' }
      : typeof value === 'string' || Array.isArray(value)
        ? { n: value.length, what: typeof value === 'string' ? ' characters' : ' items' }
        : undefined;
  if (size && spec.min !== undefined && size.n < spec.min) return `must be at least ${spec.min}${size.what}`;
  if (size && spec.max !== undefined && size.n > spec.max) return `must be at most ${spec.max}${size.what}`;
  if (spec.enum && !spec.enum.includes(value as string | number | boolean)) {
    return `must be one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return undefined;
}

/** Checks a request body against the command's input fields; unknown fields are errors. */
export function validateInput(command: Pick<CommandDef, 'input'>, body: unknown): InputResult {
  if (!isPlainObject(body))
    return { errors: [{ field: '', message: `expected a JSON object, got ${describe(body)}` }] };
  const errors: FieldError[] = [];
  const input: Record<string, unknown> = {};
  for (const [field, def] of Object.entries(command.input)) {
    const value = body[field];
    const problem = fieldProblem(fieldSpec(def), value);
    if (problem) errors.push({ field, message: problem });
    else input[field] = value ?? null;
  }
  for (const field of Object.keys(body)) {
    if (!Object.hasOwn(command.input, field))
      errors.push({ field, message: 'is not an input of this command' });
  }
  return errors.length > 0 ? { errors } : { input };
}

const JSON_TYPES: Record<string, Record<string, unknown>> = {
  string: { type: 'string' },
  number: { type: 'number' },
  int: { type: 'integer' },
  boolean: { type: 'boolean' },
  object: { type: 'object' },
  list: { type: 'array' },
  any: {},
};

/** The JSON Schema (draft 2020-12) of the command's request body. */
export function inputJsonSchema(command: Pick<CommandDef, 'input' | 'description'>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [field, def] of Object.entries(command.input)) {
    const spec = fieldSpec(def);
    const schema: Record<string, unknown> = { ...JSON_TYPES[spec.type] };
    if (spec.description) schema.description = spec.description;
    const [lo, hi] =
      spec.type === 'string'
        ? ['minLength', 'maxLength']
        : spec.type === 'list'
          ? ['minItems', 'maxItems']
          : ['minimum', 'maximum'];
    if (spec.min !== undefined) schema[lo] = spec.min;
    if (spec.max !== undefined) schema[hi] = spec.max;
    if (spec.enum) schema.enum = [...spec.enum];
    // optional fields may be sent as null, as validateInput accepts
    properties[field] = spec.optional ? { anyOf: [schema, { type: 'null' }] } : schema;
    if (!spec.optional) required.push(field);
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    ...(command.description ? { description: command.description } : {}),
    properties,
    required,
    additionalProperties: false,
  };
}
