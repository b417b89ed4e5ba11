// Type checking against declared variables, with the library's checker. Only validation calls this:
// at run time every variable is dyn, because rows are schemaless JSON.
import { baseEnvironment } from './environment.ts';

/** Field types as the YAML declares them → CEL types. JSON numbers are doubles at run time. */
export const CEL_TYPE_OF_FIELD: Readonly<Record<string, string>> = {
  number: 'double',
  int: 'int',
  string: 'string',
  boolean: 'bool',
  object: 'map',
  list: 'list',
  any: 'dyn',
};

export type CheckResult =
  | { readonly valid: true; readonly type: string }
  | { readonly valid: false; readonly message: string; readonly start: number; readonly end: number };

/**
 * Type-checks `source` with the given variables declared (CEL type names: double, int, string,
 * bool, map, list, dyn, list<double>, …). Undeclared variables are dyn. Syntax errors are reported
 * the same way, with their offset.
 */
export function checkExpression(source: string, variables: Readonly<Record<string, string>>): CheckResult {
  const env = baseEnvironment.clone();
  for (const [name, type] of Object.entries(variables)) env.registerVariable(name, type);
  let result: ReturnType<typeof env.check>;
  try {
    result = env.check(source);
  } catch (err) {
    return failure(err, source);
  }
  if (result.valid) return { valid: true, type: result.type ?? 'dyn' };
  return failure(result.error, source);
}

interface LibraryError {
  message?: string;
  summary?: string;
  range?: { start: number; end: number };
}

function failure(err: unknown, source: string): CheckResult {
  const e = (err ?? {}) as LibraryError;
  const message = e.summary ?? String(e.message ?? err).split('\n')[0] ?? 'invalid expression';
  const start = e.range?.start ?? 0;
  return { valid: false, message, start, end: e.range?.end ?? source.length };
}
