// Zod issues → one readable message each. Unions get special care: instead of "Invalid input" the
// user learns which alternative they were writing and what is wrong with it.
import type { z } from 'zod';
import type { PathSegment, Problem } from './problems.ts';
import { Aggregate, Definition } from './schema.ts';
import { didYouMean } from './suggest.ts';

type Issue = z.core.$ZodIssue;

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  element?: z.ZodType;
  in?: z.ZodType;
}

const defOf = (s: z.ZodType): SchemaDef => (s as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** Every schema that may apply at `path` (unions fan out). */
function schemasAt(path: readonly PathSegment[], schema: z.ZodType = Definition): z.ZodType[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'readonly':
    case 'prefault':
      return schemasAt(path, def.innerType);
    case 'pipe':
      return schemasAt(path, def.in);
    case 'union':
      return def.options!.flatMap((o) => schemasAt(path, o));
    default:
  }
  if (path.length === 0) return [schema];
  const [seg, ...rest] = path;
  if (def.type === 'object') {
    const child = def.shape![String(seg)];
    return child ? schemasAt(rest, child) : [];
  }
  if (def.type === 'record') return schemasAt(rest, def.valueType);
  if (def.type === 'array') return schemasAt(rest, def.element);
  return [];
}

function allowedKeys(path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(path)) {
    const def = defOf(s);
    if (def.type === 'object') for (const k of Object.keys(def.shape!)) keys.add(k);
  }
  return [...keys];
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return cur;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `"${value}"`;
  return `${typeof value} ${String(value)}`;
}

const NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a map',
  record: 'a map',
  array: 'a list',
};

const AGGREGATE_FUNCTIONS = Aggregate.options.map((o) => Object.keys(o.shape)[0]!);
const COLLECT_FUNCTIONS = ['collect_list', 'collect_set'];

const isAggregatePath = (path: readonly PathSegment[]): boolean =>
  path.length === 4 && path[0] === 'projections' && path[2] === 'aggregate';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Problems of one aggregate (`{ sum: amount }`) at `path`; also used for commands' inline aggregates. */
export function aggregateProblems(value: unknown, path: readonly PathSegment[], root: unknown): Problem[] {
  const functions = `functions: ${AGGREGATE_FUNCTIONS.join(', ')}`;
  if (!isPlainObject(value)) {
    return [
      {
        path,
        message: `expected an aggregate such as { sum: amount }, got ${describe(value)}; ${functions}`,
      },
    ];
  }
  const keys = Object.keys(value);
  const unknown = keys.filter((k) => !AGGREGATE_FUNCTIONS.includes(k));
  if (unknown.length > 0) {
    return unknown.map((k) => ({
      path: [...path, k],
      target: 'key' as const,
      message: `unknown aggregate function "${k}"${didYouMean(k, AGGREGATE_FUNCTIONS)}; ${functions}`,
    }));
  }
  if (keys.length !== 1) {
    return [
      {
        path,
        message: `an aggregate names exactly one function, got ${keys.length === 0 ? 'none' : keys.join(', ')}; ${functions}`,
      },
    ];
  }
  const option = Aggregate.options.find((o) => keys[0]! in o.shape)!;
  const result = option.safeParse(value);
  return result.success ? [] : result.error.issues.flatMap((i) => issueProblems(i, path, root));
}

/** Converts one zod issue (whose path is relative to `base`) into problems. */
function issueProblems(issue: Issue, base: readonly PathSegment[], root: unknown): Problem[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const value = valueAt(root, path);
  switch (issue.code) {
    case 'invalid_union': {
      if (isAggregatePath(path)) return aggregateProblems(value, path, root);
      // Branches that fail at their root are the wrong alternative; of the rest, the one with the
      // fewest issues is the one the user was writing.
      const fits = issue.errors.filter(
        (branch) =>
          !branch.some(
            (i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'),
          ),
      );
      if (fits.length > 0) {
        const best = fits.reduce((a, b) => (b.length < a.length ? b : a));
        return best.flatMap((i) => issueProblems(i, path, root));
      }
      const expected = issue.errors
        .flatMap((branch) => branch.filter((i) => i.path.length === 0))
        .map((i) =>
          i.code === 'invalid_type'
            ? (NOUNS[i.expected] ?? i.expected)
            : i.code === 'invalid_value'
              ? i.values.map((v) => JSON.stringify(v)).join(' or ')
              : i.message,
        );
      return [{ path, message: `expected ${[...new Set(expected)].join(', or ')}, got ${describe(value)}` }];
    }
    case 'invalid_type': {
      if (value === undefined && path.length > 0) {
        return [{ path: path.slice(0, -1), message: `"${String(path.at(-1))}" is required` }];
      }
      // A number or boolean where a string is expected never gets here: coerce.ts makes it text.
      return [
        { path, message: `expected ${NOUNS[issue.expected] ?? issue.expected}, got ${describe(value)}` },
      ];
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeys(path);
      return issue.keys.map((key) => {
        const inAggregate = path.length >= 5 && path[0] === 'projections' && path[2] === 'aggregate';
        if (key === 'limit' && inAggregate && !COLLECT_FUNCTIONS.includes(String(path[4]))) {
          return {
            path: [...path, key],
            target: 'key' as const,
            message: `limit applies only to ${COLLECT_FUNCTIONS.join(' and ')}, not to ${String(path[4])}`,
          };
        }
        const hint = didYouMean(key, allowed);
        return {
          path: [...path, key],
          target: 'key' as const,
          message: `unknown key "${key}"${hint}${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`,
        };
      });
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v));
      const hint = typeof value === 'string' ? didYouMean(value, issue.values.map(String)) : '';
      return [
        {
          path,
          message: `expected ${options.length > 1 ? 'one of ' : ''}${options.join(', ')}, got ${describe(value)}${hint}`,
        },
      ];
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string' && min === 1)
        return [
          { path, message: issue.message.startsWith('Too small') ? 'must not be empty' : issue.message },
        ];
      if (issue.origin === 'array')
        return [{ path, message: `must list at least ${min} item${min === 1 ? '' : 's'}` }];
      return [
        {
          path,
          message: `must be ${issue.inclusive ? 'at least' : 'greater than'} ${min}, got ${describe(value)}`,
        },
      ];
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      return [
        {
          path,
          message: `must be ${issue.inclusive ? 'at most' : 'less than'} ${max}, got ${describe(value)}`,
        },
      ];
    }
    case 'invalid_key': {
      const why = issue.issues[0]?.message ?? issue.message;
      return [{ path, target: 'key', message: `invalid key "${String(path.at(-1))}": ${why}` }];
    }
    case 'invalid_format':
      return [{ path, message: `${issue.message} (got ${describe(value)})` }];
    default:
      return [{ path, message: issue.message }];
  }
}

/** Readable problems for the issues of `Definition.safeParse(root)`. */
export function zodProblems(issues: readonly Issue[], root: unknown): Problem[] {
  return issues.flatMap((i) => issueProblems(i, [], root));
}
