// The expression language behind one small interface: CEL (@marcbachmann/cel-js), parsed once per
// definition, never eval'd. JSON numbers are CEL doubles; mixed int/double arithmetic is allowed so
// `amount * 2` works, and integer results come back as JS numbers.
import { analyzeAst } from './analyze.ts';
import { baseEnvironment } from './environment.ts';

export { analyze, type ExpressionAnalysis, type FieldReference } from './analyze.ts';
export { CEL_TYPE_OF_FIELD, type CheckResult, checkExpression } from './typecheck.ts';

export interface CompiledExpression {
  readonly source: string;
  /** The field paths it reads (`payment.paidAt` → ['payment', 'paidAt']; analyze.ts). */
  readonly paths: ReadonlyArray<readonly string[]>;
  /** Evaluates against the variables; missing fields and null operands yield null (SQL-like). */
  evaluate(vars: Record<string, unknown>): unknown;
}

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** A top-level variable the row does not have: retried with it set to null. */
const MISSING_VARIABLE = /^Unknown variable/;
/** CEL errors that mean "a value was missing or null": they evaluate to null instead of failing. */
const NULLISH_ERROR =
  /No such key|dyn<null>|null_type|no such overload: .*null|no matching overload for .*\bnull\b/;

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const CEL_WORDS = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

/** Converts CEL's BigInt integers back to JS numbers, deeply. */
export function toJs(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toJs);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJs(v)]));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let copy: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const c = toJs(v);
      if (c !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = c;
    }
    return copy ?? value;
  }
  return value;
}

/** A plain field path (`amount`, `data.field`) is read directly: fast, and a missing field is null. */
function compileFieldPath(source: string): CompiledExpression {
  const parts = source.split('.');
  const paths = [parts];
  if (parts.length === 1) {
    const name = parts[0]!;
    return { source, paths, evaluate: (vars) => (Object.hasOwn(vars, name) ? (vars[name] ?? null) : null) };
  }
  return {
    source,
    paths,
    evaluate(vars) {
      let cur: unknown = vars;
      for (const p of parts) {
        if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, p)) return null;
        cur = (cur as Record<string, unknown>)[p];
      }
      return cur ?? null;
    },
  };
}

/** Parses an expression once; throws ExpressionError with the library's message on a syntax error. */
export function compileExpression(source: string): CompiledExpression {
  const trimmed = source.trim();
  if (FIELD_PATH.test(trimmed) && !trimmed.split('.').some((p) => CEL_WORDS.has(p))) {
    return compileFieldPath(trimmed);
  }
  let parsed: ReturnType<typeof baseEnvironment.parse>;
  try {
    parsed = baseEnvironment.parse(trimmed);
  } catch (err) {
    throw new ExpressionError(firstLine(err), source);
  }
  const program = parsed as unknown as (vars: Record<string, unknown>) => unknown;
  // A variable absent from the row is a missing field: null, so `x == null` is true for it.
  const analysis = analyzeAst(parsed.ast);
  const nulls = Object.fromEntries([...analysis.identifiers].map((id) => [id, null]));
  const run = (vars: Record<string, unknown>): unknown => {
    try {
      return toJs(program(vars));
    } catch (err) {
      const message = firstLine(err);
      if (MISSING_VARIABLE.test(message)) return undefined;
      if (NULLISH_ERROR.test(message)) return null;
      throw new ExpressionError(message, source);
    }
  };
  return {
    source,
    paths: analysis.references.map((r) => r.path),
    evaluate(vars) {
      const result = run(vars);
      return result !== undefined ? result : (run({ ...nulls, ...vars }) ?? null);
    },
  };
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0] ?? 'invalid expression';
}
