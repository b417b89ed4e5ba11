// Static analysis of an expression: which variables and field paths it reads. Validation uses it
// to check names against a known row schema without evaluating anything.
import type { ASTNode } from '@marcbachmann/cel-js';
import { baseEnvironment } from './environment.ts';

/** One read of a variable, followed by as many constant field selections as the source spells out. */
export interface FieldReference {
  /** `customer.tier` → ['customer', 'tier']; `a["b"].c` → ['a', 'b', 'c']. */
  readonly path: readonly string[];
  /** Offsets of the reference inside the expression source. */
  readonly start: number;
  readonly end: number;
}

export interface ExpressionAnalysis {
  /** Top-level variables read (macro variables such as `i` in `items.map(i, …)` excluded). */
  readonly identifiers: ReadonlySet<string>;
  readonly references: readonly FieldReference[];
}

/** Macros whose first argument names an iteration variable bound in the remaining arguments. */
const BINDING_MACROS = new Set(['map', 'filter', 'all', 'exists', 'exists_one', 'existsOne']);

/** Throws the library's ParseError on a syntax error. */
export function analyze(source: string): ExpressionAnalysis {
  return analyzeAst(baseEnvironment.parse(source).ast);
}

export function analyzeAst(root: ASTNode): ExpressionAnalysis {
  const references: FieldReference[] = [];
  const identifiers = new Set<string>();

  /** The variable + constant selections of a select chain, or undefined when its root is not a variable. */
  function chain(node: ASTNode, bound: ReadonlySet<string>): string[] | undefined {
    switch (node.op) {
      case 'id':
        return bound.has(node.args) ? undefined : [node.args];
      case '.':
      case '.?': {
        const base = chain(node.args[0], bound);
        return base ? [...base, node.args[1]] : undefined;
      }
      case '[]':
      case '[?]': {
        const key = node.args[1];
        if (key.op !== 'value' || typeof key.args !== 'string') return undefined;
        const base = chain(node.args[0], bound);
        return base ? [...base, key.args] : undefined;
      }
      default:
        return undefined;
    }
  }

  function visit(node: ASTNode, bound: ReadonlySet<string>): void {
    switch (node.op) {
      case 'value':
        return;
      case 'id':
      case '.':
      case '.?':
      case '[]':
      case '[?]': {
        const path = chain(node, bound);
        if (path) {
          identifiers.add(path[0]!);
          references.push({ path, start: node.start, end: node.end });
          // a computed index (`a[i]`) still reads `i`
          if ((node.op === '[]' || node.op === '[?]') && node.args[1].op !== 'value')
            visit(node.args[1], bound);
          return;
        }
        if (node.op === 'id') return; // a bound macro variable
        if (node.op === '.' || node.op === '.?') return visit(node.args[0], bound);
        visit(node.args[0], bound);
        return visit(node.args[1], bound);
      }
      case 'call':
        for (const a of node.args[1]) visit(a, bound);
        return;
      case 'rcall': {
        const [name, receiver, args] = node.args;
        const first = args[0];
        const isBind = name === 'bind' && receiver.op === 'id' && receiver.args === 'cel';
        if ((BINDING_MACROS.has(name) || isBind) && first?.op === 'id') {
          if (!isBind) visit(receiver, bound);
          const inner = new Set(bound).add(first.args);
          // cel.bind(v, init, body): init is evaluated outside v's scope
          if (isBind && args[1]) visit(args[1], bound);
          for (const a of args.slice(isBind ? 2 : 1)) visit(a, inner);
          return;
        }
        visit(receiver, bound);
        for (const a of args) visit(a, bound);
        return;
      }
      case 'list':
        for (const a of node.args) visit(a, bound);
        return;
      case 'map':
        for (const [k, v] of node.args) {
          visit(k, bound);
          visit(v, bound);
        }
        return;
      case '!_':
      case '-_':
        return visit(node.args, bound);
      default:
        // binary operators, &&, ||, ?:
        for (const a of node.args as ASTNode[]) visit(a, bound);
    }
  }

  visit(root, new Set());
  return { identifiers, references };
}
