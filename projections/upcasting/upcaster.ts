// Upcasting: brings every event of a source to the current version of its type before any
// projection sees it. Steps are chained per event type: `from: n` turns version n into n + 1, so an
// event of version 1 runs through every step up to the current version (the last `from` + 1).
// A step edits fields (rename, default, set, remove, in that order) or splits the event into
// several, each of which continues through the chain of its own type.
import { type CompiledExpression, compileExpression, ExpressionError } from '../expressions/index.ts';
import type { Row } from '../records.ts';
import type { SourceDef, SplitPartDef, UpcastStepDef } from '../definition/schema.ts';
import { UpcastError } from './errors.ts';
import { deletePath, getPath, setPath, splitPath } from './paths.ts';

/** What `set` expressions may read besides the event's fields. */
export interface UpcastContext {
  /** The Kafka record key (the source's `key` expression applies to the upcast event). */
  key: unknown;
  timestamp: number;
  topic?: string;
  partition?: number;
  offset?: number;
}

export interface Upcaster {
  /** The event in its current shape: one event, or several when a step splits it. */
  upcast(value: Row, ctx: UpcastContext): Row[];
}

/** Splits nest at most this deep: a guard against split chains that loop (validation rejects those). */
const MAX_DEPTH = 16;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

interface Edits {
  rename: [string[], string[]][];
  defaults: [string[], unknown][];
  set: [string, string[], CompiledExpression][];
  remove: string[][];
}

interface CompiledStep {
  from: number;
  edits: Edits;
  split?: { type?: string; version?: number; edits: Edits }[];
}

interface Chain {
  first: number;
  steps: CompiledStep[];
  /** The version every event of this type ends at. */
  current: number;
}

function compileEdits(d: Omit<UpcastStepDef, 'from' | 'split'> | SplitPartDef): Edits {
  return {
    rename: Object.entries(d.rename ?? {}).map(([a, b]) => [splitPath(a), splitPath(b)]),
    defaults: Object.entries(d.default ?? {}).map(([f, v]) => [splitPath(f), v]),
    set: Object.entries(d.set ?? {}).map(([f, src]) => [f, splitPath(f), compileExpression(src)]),
    remove: (d.remove ?? []).map(splitPath),
  };
}

/** The chains of a source, by event type. Assumes a validated definition (contiguous `from`s). */
function compileChains(upcast: NonNullable<SourceDef['upcast']>): Map<string, Chain> {
  const chains = new Map<string, Chain>();
  for (const [type, defs] of Object.entries(upcast)) {
    const steps = [...defs]
      .sort((a, b) => a.from - b.from)
      .map((s): CompiledStep => ({
        from: s.from,
        edits: compileEdits(s),
        split: s.split?.map((p) => ({ type: p.type, version: p.version, edits: compileEdits(p) })),
      }));
    chains.set(type, { first: steps[0]!.from, steps, current: steps.at(-1)!.from + 1 });
  }
  return chains;
}

/** The upcaster of a source, or undefined when it declares none (the hot path stays untouched). */
export function compileUpcaster(source: SourceDef | undefined): Upcaster | undefined {
  if (!source?.upcast || Object.keys(source.upcast).length === 0) return undefined;
  const chains = compileChains(source.upcast);
  const typeExpr = compileExpression(source.eventType ?? 'null');
  const versionExpr = source.version ? compileExpression(source.version) : undefined;
  // Written back into the event when they are plain fields, so the event reads as current.
  const typeField =
    source.eventType && FIELD_PATH.test(source.eventType.trim())
      ? splitPath(source.eventType.trim())
      : undefined;
  const versionField =
    source.version && FIELD_PATH.test(source.version.trim()) ? splitPath(source.version.trim()) : undefined;

  const apply = (row: Row, e: Edits, vars: () => Record<string, unknown>, where: string): void => {
    for (const [from, to] of e.rename) {
      const v = getPath(row, from);
      if (v === undefined) continue;
      deletePath(row, from);
      setPath(row, to, v);
    }
    for (const [path, v] of e.defaults) {
      const cur = getPath(row, path);
      if (cur === undefined || cur === null) setPath(row, path, structuredClone(v));
    }
    for (const [field, path, expr] of e.set) {
      try {
        setPath(row, path, expr.evaluate(vars()));
      } catch (err) {
        const why = err instanceof ExpressionError ? err.message : String(err);
        throw new UpcastError(`${where}: set ${field}: ${why}`, { cause: err });
      }
    }
    for (const path of e.remove) deletePath(row, path);
  };

  // `owned`: `row` is already a private copy (JSON values: a JSON round trip is the fastest deep copy).
  const copy = (row: Row): Row => JSON.parse(JSON.stringify(row)) as Row;
  const run = (
    row: Row,
    type: string,
    version: number,
    ctx: UpcastContext,
    depth: number,
    owned: boolean,
  ): Row[] => {
    const chain = chains.get(type);
    if (!chain || version === chain.current) return [row];
    if (version > chain.current)
      throw new UpcastError(
        `${type} version ${version} is newer than the current version ${chain.current} the upcasters know`,
      );
    if (version < chain.first)
      throw new UpcastError(
        `${type} version ${version} has no upcaster (the first step is from ${chain.first})`,
      );
    if (depth > MAX_DEPTH) throw new UpcastError(`${type}: splits nest deeper than ${MAX_DEPTH} levels`);
    const step = chain.steps[version - chain.first]!;
    const where = `upcasting ${type} from version ${version}`;
    const varsOf = (r: Row) => () => ({
      ...r,
      _value: r,
      _type: type,
      _version: version,
      _key: ctx.key ?? null,
      _timestamp: ctx.timestamp,
      _topic: ctx.topic ?? null,
      _partition: ctx.partition ?? null,
      _offset: ctx.offset ?? null,
    });
    const edited = owned ? row : copy(row);
    apply(edited, step.edits, varsOf(edited), where);
    if (!step.split) {
      if (versionField) setPath(edited, versionField, version + 1);
      return run(edited, type, version + 1, ctx, depth, true);
    }
    const out: Row[] = [];
    for (const part of step.split) {
      const partType = part.type ?? type;
      const partVersion =
        part.version ?? (partType === type ? version + 1 : (chains.get(partType)?.current ?? 1));
      const p = copy(edited);
      apply(p, part.edits, varsOf(p), `${where}, split part ${partType}`);
      if (typeField && partType !== type) setPath(p, typeField, partType);
      if (versionField) setPath(p, versionField, partVersion);
      out.push(...run(p, partType, partVersion, ctx, depth + 1, true));
    }
    return out;
  };

  return {
    upcast(value, ctx) {
      const type = typeExpr.evaluate(value);
      if (typeof type !== 'string' || !chains.has(type)) return [value];
      const raw = versionExpr ? versionExpr.evaluate(value) : null;
      const version = raw === null || raw === undefined ? 1 : typeof raw === 'string' ? Number(raw) : raw;
      if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
        throw new UpcastError(`${type}: version ${JSON.stringify(raw)} is not a positive integer`);
      return run(value, type, version, ctx, 0, false);
    },
  };
}
