// Checks one expression against the variables in scope: syntax, unknown fields, CEL types.
import { analyze, checkExpression } from '../expressions/index.ts';
import type { PathSegment, Problem } from './problems.ts';
import { didYouMean } from './suggest.ts';

export interface Variable {
  /** CEL type: double, int, string, bool, map, list, dyn, … */
  readonly type: string;
  /** Known sub-fields of a map variable (a joined row); undefined = any. */
  readonly fields?: ReadonlyMap<string, Variable> | undefined;
}

export interface Scope {
  /** Closed: only the listed variables exist (the row's fields are known). Open: others are dyn. */
  readonly closed: boolean;
  readonly vars: ReadonlyMap<string, Variable>;
  /** Names the row for messages: `source accounts`, `the aggregate row`. */
  readonly describe: string;
}

export interface SiteResult {
  readonly problems: Problem[];
  /** The inferred CEL type; undefined when the expression has errors. */
  readonly type: string | undefined;
}

interface LibraryError {
  summary?: string;
  message?: string;
  range?: { start: number };
}

const list = (names: Iterable<string>): string => {
  const all = [...names].filter((n) => !n.startsWith('_'));
  return all.length <= 12 ? all.join(', ') : `${all.slice(0, 12).join(', ')}, …`;
};

export function checkSite(source: string, scope: Scope, path: readonly PathSegment[]): SiteResult {
  const problems: Problem[] = [];
  let analysis: ReturnType<typeof analyze>;
  try {
    analysis = analyze(source);
  } catch (err) {
    const e = err as LibraryError;
    const summary = e.summary ?? String(e.message ?? err).split('\n')[0];
    problems.push({ path, inner: e.range?.start ?? 0, message: `invalid expression: ${summary}` });
    return { problems, type: undefined };
  }
  for (const ref of analysis.references) {
    const root = ref.path[0]!;
    const v = scope.vars.get(root);
    if (!v) {
      if (scope.closed) {
        problems.push({
          path,
          inner: ref.start,
          message: `unknown field "${root}"${didYouMean(root, scope.vars.keys())}; ${scope.describe} has: ${list(scope.vars.keys())}`,
        });
      }
      continue;
    }
    // walk down as far as sub-fields are known (`state.account.balance` in a command)
    let parent: Variable | undefined = v;
    for (let i = 1; i < ref.path.length && parent?.fields; i++) {
      const sub = ref.path[i]!;
      const child: Variable | undefined = parent.fields.get(sub);
      if (!child) {
        const of = ref.path.slice(0, i).join('.');
        problems.push({
          path,
          inner: ref.start,
          message: `unknown field "${sub}" of ${of}${didYouMean(sub, parent.fields.keys())}; ${of} has: ${list(parent.fields.keys())}`,
        });
        break;
      }
      parent = child;
    }
  }
  if (problems.length > 0) return { problems, type: undefined };
  const declared: Record<string, string> = {};
  for (const [name, v] of scope.vars) declared[name] = v.type;
  const checked = checkExpression(source, declared);
  if (!checked.valid) {
    problems.push({ path, inner: checked.start, message: `type error in "${source}": ${checked.message}` });
    return { problems, type: undefined };
  }
  return { problems, type: checked.type };
}

const NUMERIC = new Set(['double', 'int', 'uint', 'dyn']);
const BOOLEAN = new Set(['bool', 'dyn', 'null_type']);
const ORDERED = new Set(['double', 'int', 'uint', 'string', 'timestamp', 'duration', 'dyn']);

/** What a position in the language needs from its expression's type. */
export type Expectation = 'boolean' | 'number' | 'ordered' | 'any';

const NEEDS: Record<Exclude<Expectation, 'any'>, { types: Set<string>; noun: string }> = {
  boolean: { types: BOOLEAN, noun: 'true or false' },
  number: { types: NUMERIC, noun: 'a number' },
  ordered: { types: ORDERED, noun: 'a number, string or timestamp' },
};

/** Checks a site and that its type fits `expect` (`where` must be boolean, a `sum` needs a number). */
export function checkTyped(
  source: string,
  scope: Scope,
  path: readonly PathSegment[],
  expect: Expectation,
  role: string,
): SiteResult {
  const result = checkSite(source, scope, path);
  if (expect === 'any' || result.type === undefined) return result;
  const need = NEEDS[expect];
  const base = result.type.replace(/<.*$/, '');
  if (!need.types.has(base) && !result.type.startsWith('optional')) {
    result.problems.push({
      path,
      inner: 0,
      message: `${role} needs ${need.noun}, but "${source}" is ${article(result.type)}`,
    });
  }
  return result;
}

function article(type: string): string {
  const nouns: Record<string, string> = {
    bool: 'a boolean',
    double: 'a number',
    int: 'an int',
    string: 'a string',
    map: 'a map',
    list: 'a list',
  };
  return nouns[type.replace(/<.*$/, '')] ?? `of type ${type}`;
}
