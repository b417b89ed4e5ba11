// The commands language: the zod schema of a `commands:` entry in projections.yaml.
// Structure only; references, keys and expression types are checked in check.ts.
import { z } from 'zod';
import { Expression, FieldType, Name } from '../definition/primitives.ts';
import { Window } from '../definition/window.ts';

/** `amount: number`, or the long form with constraints. */
export const InputField = z.union([
  FieldType,
  z.strictObject({
    type: FieldType,
    /** Optional fields may be absent or null; required ones may not. */
    optional: z.boolean().default(false),
    description: z.string().optional(),
    /** Numbers: inclusive bounds. Strings and lists: bounds on their length. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** The value must be one of these. */
    enum: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .optional(),
  }),
]);

/** The row of a projection keyed like the entity, read by the entity key. */
const ProjectionState = z.strictObject({ projection: Name });

/**
 * An aggregate over the entity's own events, declared inline. With `per` (an expression over each
 * event) and `at` (an expression over the command), only events whose `per` equals the command's
 * `at` count: `per: day(_timestamp)`, `at: day(now)` is a sum per calendar day (UTC). With a
 * tumbling `window` instead, the events of the window holding the command's time count, and
 * windows past their retention leave the store.
 */
const InlineState = z.strictObject({
  aggregate: z.record(Name, z.unknown()),
  per: Expression.optional(),
  at: Expression.optional(),
  window: Window.optional(),
});

export const StateEntry = z.union([ProjectionState, InlineState]);

export const Rule = z.strictObject({
  /** Must evaluate to true for the command to be accepted; false, null or an error rejects it. */
  require: Expression,
  /** What the client is told when the rule rejects the command. */
  message: z.string().min(1),
});

export const Emit = z.strictObject({
  /** The event type, written to the entity source's eventType field. */
  type: z.string().min(1),
  /** Emit this event only when the expression is true. */
  if: Expression.optional(),
  /** Event field → expression over input, state, key, version and now. */
  fields: z.record(Name, Expression).default({}),
});

/** EventStoreDB's expected-version choices: any, no_stream, exists, or an exact version. */
export const ExpectedVersion = z.union([z.enum(['any', 'no_stream', 'exists']), z.number().int().min(0)]);

export const Command = z.strictObject({
  description: z.string().optional(),
  /** The source whose topic the events are appended to; its key field names the entity. */
  entity: Name,
  /** The request body's fields; the entity's key field must be one of them. */
  input: z.record(Name, InputField),
  /** Named state the rules decide on. */
  state: z.record(Name, StateEntry).optional(),
  /** Invariants, checked in order; the first that fails rejects the command. */
  rules: z.record(Name, Rule).optional(),
  /** The events appended when every rule holds, in order. */
  emit: z.array(Emit).min(1),
  /** Used when a request carries no expectedVersion; default any. */
  expectedVersion: ExpectedVersion.optional(),
});

export type CommandDef = z.output<typeof Command>;
export type InputFieldDef = z.output<typeof InputField>;
export type StateEntryDef = z.output<typeof StateEntry>;
export type InlineStateDef = z.output<typeof InlineState>;
export type RuleDef = z.output<typeof Rule>;
export type EmitDef = z.output<typeof Emit>;
export type ExpectedVersion = z.output<typeof ExpectedVersion>;
