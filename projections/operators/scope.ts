// Expression variables. A row's fields are top-level variables; the specials (_key, _type,
// _timestamp, _value, _topic, _partition, _offset) and, after joins, the left row under the
// `from` name are added only when some expression of the stage reads them, so the hot path
// (`sum: amount`) evaluates directly against the event object without copying it.
import { type CompiledExpression, compileExpression } from '../expressions/index.ts';
import type { Row } from '../records.ts';
import { isRow, type RecordMeta } from './types.ts';

const SPECIALS = ['_key', '_type', '_timestamp', '_value', '_topic', '_partition', '_offset'] as const;

export interface ScopeOptions {
  /** The name the projection reads from; after a join the left row is visible under it. */
  from?: string;
  /** Join aliases: fields of the joined row holding right rows (excluded from the `from` row). */
  aliases?: readonly string[];
  /** Derives the event type of a row that carries no type of its own (table source rows). */
  typeOf?: (row: Row) => unknown;
}

export interface RowContext {
  key: unknown;
  timestamp: number;
  type?: unknown;
  meta?: RecordMeta | null;
}

export class Scope {
  private readonly used = new Set<string>();
  private readonly opts: ScopeOptions;
  /** Field paths the compiled expressions read (`payment.paidAt` → ['payment', 'paidAt']). */
  private readonly paths: (readonly string[])[] = [];
  /** Set when the row leaves as it is, so every field of it is read. */
  private whole = false;

  constructor(opts: ScopeOptions = {}) {
    this.opts = opts;
  }

  get typeOf(): ((row: Row) => unknown) | undefined {
    return this.opts.typeOf;
  }

  /** Compiles an expression and records which specials it reads. */
  compile(source: string): CompiledExpression {
    const expr = compileExpression(source);
    for (const s of SPECIALS) if (new RegExp(`\\b${s}\\b`).test(source)) this.used.add(s);
    const from = this.opts.from;
    if (from && new RegExp(`\\b${from}\\b`).test(source)) this.used.add('from');
    this.paths.push(...expr.paths);
    return expr;
  }

  /** The row leaves as it is (no select or aggregate after it): every field of it is read. */
  readsWholeRow(): void {
    this.whole = true;
  }

  /**
   * The top-level fields of the row the expressions read, or null when the row may be read whole
   * (_value, the `from` row, or a row that leaves as it is). Asked once every expression is compiled.
   */
  fieldsRead(): ReadonlySet<string> | null {
    if (this.whole || this.used.has('_value') || this.used.has('from')) return null;
    return new Set(this.paths.map((p) => p[0]!));
  }

  /** The fields read of the row under `alias` (a join's right row), or null when it may be read whole. */
  fieldsReadUnder(alias: string): ReadonlySet<string> | null {
    if (this.whole || this.used.has('_value')) return null;
    const fields = new Set<string>();
    for (const p of this.paths) {
      if (p[0] !== alias) continue;
      if (p.length === 1) return null;
      fields.add(p[1]!);
    }
    return fields;
  }

  /** Whether an expression compiled so far reads where a record came from (_topic, _partition, _offset). */
  readsOrigin(): boolean {
    return this.used.has('_topic') || this.used.has('_partition') || this.used.has('_offset');
  }

  /** The variables for a row; the row itself when nothing special is read. */
  vars(row: unknown, c: RowContext): Record<string, unknown> {
    const plain = isRow(row);
    if (this.used.size === 0 && plain) return row;
    const v: Record<string, unknown> = plain ? { ...row } : {};
    const u = this.used;
    if (u.has('_key')) v._key = c.key ?? null;
    if (u.has('_type'))
      v._type = c.type ?? (plain && this.opts.typeOf ? this.opts.typeOf(row) : null) ?? null;
    if (u.has('_timestamp')) v._timestamp = c.timestamp;
    if (u.has('_value')) v._value = row ?? null;
    if (u.has('_topic')) v._topic = c.meta?.topic ?? null;
    if (u.has('_partition')) v._partition = c.meta?.partition ?? null;
    if (u.has('_offset')) v._offset = c.meta?.offset ?? null;
    if (u.has('from') && plain) v[this.opts.from!] = leftRow(row, this.opts.aliases ?? []);
    return v;
  }
}

/** The left row of a joined row; null when only right rows exist (outer join, left missing). */
function leftRow(row: Row, aliases: readonly string[]): Row | null {
  const left: Row = {};
  let any = false;
  for (const k in row) {
    if (aliases.includes(k)) continue;
    left[k] = row[k];
    any = true;
  }
  return any ? left : null;
}

/** A condition holds only when it evaluates to true (null and false both fail, like SQL). */
export const holds = (expr: CompiledExpression, vars: Record<string, unknown>): boolean =>
  expr.evaluate(vars) === true;
