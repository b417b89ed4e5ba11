// projections.yaml text → a definition, or every problem in it as file:line:col errors.
import { isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { coerceScalars } from './coerce.ts';
import { Locator } from './locate.ts';
import type { LocatedError, PathSegment, Problem } from './problems.ts';
import type { Definition } from './schema.ts';
import { checkDefinition } from './validate.ts';

export interface ParseOptions {
  /**
   * Rewrites each string value (not keys) after YAML parsing and before validation, e.g. `${VAR}`
   * interpolation, so locations stay those of the file. `plain` is true for unquoted scalars.
   * Throw an Error to report its message at that scalar.
   */
  readonly transformString?: (value: string, plain: boolean) => unknown;
}

export type ParseResult =
  | { readonly definition: Definition; readonly errors?: undefined }
  | { readonly definition?: undefined; readonly errors: LocatedError[] };

/** The key path of a node from the ancestors yaml's visitor passes. */
function pathOf(ancestors: readonly unknown[], key: unknown): PathSegment[] {
  const path: PathSegment[] = [];
  for (const a of ancestors) {
    const pair = a as { key?: unknown };
    if (pair && typeof pair === 'object' && 'key' in pair && isScalar(pair.key))
      path.push(String(pair.key.value));
  }
  if (typeof key === 'number') path.push(key);
  return path;
}

/** The full path of `node` (sequence indices included), as the parsed object would address it. */
function pathTo(ancestors: readonly unknown[], node: unknown): string {
  const path: PropertyKey[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const a = chain[i];
    if (isPair(a) && isScalar(a.key)) path.push(String(a.key.value));
    else if (isSeq(a)) path.push(a.items.indexOf(chain[i + 1]));
  }
  return JSON.stringify(path);
}

export function parseDefinition(text: string, fileName: string, options: ParseOptions = {}): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locator = new Locator(fileName, text, doc, lineCounter);
  const errors: LocatedError[] = [];
  const syntax = doc.errors[0];
  if (syntax) {
    // after the first syntax error the parser is lost: the rest are echoes of it
    const message = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return { errors: [locator.at(syntax.pos[0], '', `YAML syntax error: ${message}`)] };
  }

  const { transformString } = options;
  /** Scalars the transform rewrote (filled from the environment): they may become numbers. */
  const rewritten = new Set<string>();
  if (transformString) {
    visit(doc, {
      Scalar(key, node, ancestors) {
        if (key === 'key' || typeof node.value !== 'string') return;
        try {
          const before = node.value;
          node.value = transformString(node.value, node.type === 'PLAIN');
          if (node.value !== before) rewritten.add(pathTo(ancestors, node));
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          errors.push(locator.at(node.range?.[0] ?? 0, pathOf(ancestors, key).join('.'), message));
        }
      },
    });
    if (errors.length > 0) return { errors: sortErrors(errors) };
  }

  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  coerceScalars(raw, (path) => rewritten.has(JSON.stringify(path)));
  const result = checkDefinition(raw);
  if (result.definition) return { definition: result.definition };
  return { errors: sortErrors(result.problems.map((p: Problem) => locator.locate(p))) };
}

function sortErrors(errors: LocatedError[]): LocatedError[] {
  return errors.sort((a, b) => a.offset - b.offset || a.message.localeCompare(b.message));
}
