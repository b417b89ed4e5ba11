// A validated command → a CompiledCommand: its expressions parsed once, its entity's field names
// resolved. `decide` is the pure seam the runtime calls (docs/commands.md): deterministic, with
// the time and the event ids injected by the caller.
import { compileExpression, type CompiledExpression, ExpressionError } from '../expressions/index.ts';
import type { Definition, SourceDef } from '../definition/schema.ts';
import { type FieldError, validateInput } from './input.ts';
import type { CommandDef, ExpectedVersion } from './schema.ts';
import { inlineStateProjectionName, isInlineState } from './state.ts';
import { expectedVersionHolds } from './versions.ts';
import { resolveWindow, timeWindowsFor, type Window, windowClosed } from '../windows/spec.ts';

/** Where a command's events go and which of their fields the runtime fills in. */
export interface EntityInfo {
  readonly source: string;
  readonly topic: string;
  /** Field naming the entity, in the input and in every event. */
  readonly keyField: string;
  readonly typeField: string;
  readonly idField: string | undefined;
  readonly timeField: string | undefined;
  /** The source's entityVersion field: each event carries its version. */
  readonly versionField: string | undefined;
}

/** One row the command reads: `projection` (possibly a hidden one for inline state) at `key`. */
export interface StateRead {
  readonly name: string;
  readonly projection: string;
  readonly key: unknown;
  /** A windowed state's window that holds the command's time: the row is the key's in it. */
  readonly window?: Window;
}

export interface DecideRequest {
  /** The request body, not yet validated. */
  readonly input: unknown;
  /** State name → the row read for it (see stateReads); missing or null = no row. */
  readonly state: Readonly<Record<string, unknown>>;
  /** The entity's current version: its number of accepted events. */
  readonly version: number;
  /** Overrides the command's declared expectedVersion (default any). */
  readonly expectedVersion?: ExpectedVersion | undefined;
  /** Epoch milliseconds: the command's time, the events' time. */
  readonly now: number;
  /** The id of the command's `index`-th event (derive it from the command id so retries repeat it). */
  readonly eventId: (index: number) => string;
  /**
   * Per windowed state: its window store's stream time (the newest event time it has seen). A
   * command whose window has closed by it is refused (`windowClosed`): its events would be late
   * there, dropped from the window, and the state would never count them.
   */
  readonly streamTimes?: Readonly<Record<string, number>>;
}

/** The rule name of a command refused because its windowed state's window has closed. */
export const WINDOW_CLOSED_RULE = 'windowClosed';

export interface EmittedEvent {
  readonly topic: string;
  readonly key: unknown;
  readonly type: string;
  /** The entity's version after this event. */
  readonly version: number;
  readonly timestamp: number;
  readonly value: Record<string, unknown>;
}

export type Decision =
  | { readonly outcome: 'accepted'; readonly events: readonly EmittedEvent[]; readonly newVersion: number }
  | { readonly outcome: 'invalid'; readonly errors: readonly FieldError[] }
  | { readonly outcome: 'rejected'; readonly rule: string; readonly message: string; readonly error?: string }
  | { readonly outcome: 'conflict'; readonly expected: ExpectedVersion; readonly current: number };

export interface CompiledCommand {
  readonly name: string;
  readonly def: CommandDef;
  readonly entity: EntityInfo;
  /** The entity key in a valid input. */
  keyOf(input: Record<string, unknown>): unknown;
  /** The rows `decide` needs for a valid input at time `now`. */
  stateReads(input: Record<string, unknown>, now: number): StateRead[];
  decide(request: DecideRequest): Decision;
}

export class CommandError extends Error {
  override name = 'CommandError';
}

/** A plain field name of the source (`key: accountId`), or undefined for an expression. */
export function sourceField(expr: string | undefined): string | undefined {
  const s = expr?.trim();
  return s !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : undefined;
}

export function entityInfo(name: string, source: SourceDef): EntityInfo {
  const keyField = sourceField(source.key);
  const typeField = sourceField(source.eventType);
  if (!keyField || !typeField) {
    throw new CommandError(`source ${name}: a command's entity needs key and eventType given as field names`);
  }
  return {
    source: name,
    topic: source.topic,
    keyField,
    typeField,
    idField: sourceField(source.eventId),
    timeField: sourceField(source.time),
    versionField: source.entityVersion,
  };
}

const compileAll = (map: Readonly<Record<string, string>>): [string, CompiledExpression][] =>
  Object.entries(map).map(([k, e]) => [k, compileExpression(e)]);

export function compileCommand(name: string, def: CommandDef, definition: Definition): CompiledCommand {
  const source = definition.sources[def.entity];
  if (!source) throw new CommandError(`command ${name}: unknown entity source ${def.entity}`);
  const entity = entityInfo(def.entity, source);
  const rules = Object.entries(def.rules ?? {}).map(([rule, r]) => ({
    rule,
    message: r.message,
    require: compileExpression(r.require),
  }));
  const emits = def.emit.map((e) => ({
    type: e.type,
    if: e.if !== undefined ? compileExpression(e.if) : undefined,
    fields: compileAll(e.fields),
  }));
  const states = Object.entries(def.state ?? {}).map(([state, entry]) =>
    isInlineState(entry)
      ? {
          state,
          projection: inlineStateProjectionName(name, state),
          at: entry.at !== undefined ? compileExpression(entry.at) : undefined,
          window: entry.window !== undefined ? resolveWindow(entry.window) : undefined,
        }
      : { state, projection: entry.projection, at: undefined, window: undefined },
  );
  const keyOf = (input: Record<string, unknown>): unknown => input[entity.keyField];
  const baseVars = (input: Record<string, unknown>, version: number, now: number) => ({
    input,
    key: keyOf(input),
    version,
    now,
  });

  return {
    name,
    def,
    entity,
    keyOf,
    stateReads(input, now) {
      const key = keyOf(input);
      return states.map(({ state, projection, at, window }) => ({
        name: state,
        projection,
        key: at ? { key, per: at.evaluate(baseVars(input, 0, now)) } : key,
        // tumbling: exactly one window holds `now`
        ...(window ? { window: timeWindowsFor(now, window)[0]! } : {}),
      }));
    },
    decide(request) {
      const checked = validateInput(def, request.input);
      if (checked.errors) return { outcome: 'invalid', errors: checked.errors };
      const input = checked.input;
      const expected = request.expectedVersion ?? def.expectedVersion ?? 'any';
      if (!expectedVersionHolds(expected, request.version)) {
        return { outcome: 'conflict', expected, current: request.version };
      }
      for (const { state: s, window } of states) {
        const streamTime = request.streamTimes?.[s];
        if (!window || streamTime === undefined) continue;
        const held = timeWindowsFor(request.now, window)[0]!;
        if (windowClosed(held, streamTime, window.graceMs))
          return {
            outcome: 'rejected',
            rule: WINDOW_CLOSED_RULE,
            message: `state ${s}: the window holding the command's time, ${iso(held.start)} to ${iso(held.end)}, has closed (events up to ${iso(streamTime)} were seen, grace ${window.graceMs} ms): its events would not count`,
          };
      }
      const state: Record<string, unknown> = {};
      for (const { state: s } of states) state[s] = request.state[s] ?? null;
      const vars = { ...baseVars(input, request.version, request.now), state };
      for (const r of rules) {
        let holds: unknown;
        try {
          holds = r.require.evaluate(vars);
        } catch (err) {
          const error = err instanceof ExpressionError ? err.message : String(err);
          return { outcome: 'rejected', rule: r.rule, message: r.message, error };
        }
        if (holds !== true) return { outcome: 'rejected', rule: r.rule, message: r.message };
      }
      return emitEvents(entity, emits, vars, request);
    },
  };
}

interface CompiledEmit {
  readonly type: string;
  readonly if: CompiledExpression | undefined;
  readonly fields: readonly [string, CompiledExpression][];
}

function emitEvents(
  entity: EntityInfo,
  emits: readonly CompiledEmit[],
  vars: Record<string, unknown> & { key: unknown },
  request: DecideRequest,
): Decision {
  const events: EmittedEvent[] = [];
  for (const e of emits) {
    const where = `emit ${e.type}`;
    try {
      if (e.if && e.if.evaluate(vars) !== true) continue;
      const version = request.version + events.length + 1;
      const value: Record<string, unknown> = { [entity.typeField]: e.type, [entity.keyField]: vars.key };
      for (const [field, expr] of e.fields) value[field] = expr.evaluate(vars);
      if (entity.idField) value[entity.idField] = request.eventId(events.length);
      if (entity.timeField) value[entity.timeField] = request.now;
      if (entity.versionField) value[entity.versionField] = version;
      events.push({
        topic: entity.topic,
        key: vars.key,
        type: e.type,
        version,
        timestamp: request.now,
        value,
      });
    } catch (err) {
      // an emit expression that fails is a rejection too: deterministic, and nothing is appended
      const error = err instanceof ExpressionError ? err.message : String(err);
      return { outcome: 'rejected', rule: where, message: `could not build the ${e.type} event`, error };
    }
  }
  return { outcome: 'accepted', events, newVersion: request.version + events.length };
}

/** Every command of a (validated) definition, compiled. */
export function compileCommands(definition: Definition): Map<string, CompiledCommand> {
  const out = new Map<string, CompiledCommand>();
  for (const [name, def] of Object.entries(definition.commands ?? {}))
    out.set(name, compileCommand(name, def, definition));
  return out;
}

const iso = (ms: number): string =>
  Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms);
