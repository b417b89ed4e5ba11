// Turns document paths into file positions using the yaml library's node ranges.
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { formatPath, type LocatedError, type PathSegment, type Problem } from './problems.ts';

interface Found {
  /** The deepest node the path reaches, and whether the whole path was found. */
  readonly node: Node | null;
  readonly keyNode: Node | null;
  readonly complete: boolean;
}

function walk(doc: Document, path: readonly PathSegment[]): Found {
  let node: Node | null = doc.contents ?? null;
  let keyNode: Node | null = null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) return { node, keyNode, complete: false };
      keyNode = pair.key as Node;
      // `key:` with no value has a null value node: stay on the key
      node = (pair.value as Node | null) ?? null;
      if (!node) return { node: keyNode, keyNode, complete: true };
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      keyNode = null;
      node = node.items[seg] as Node;
    } else {
      return { node, keyNode, complete: false };
    }
  }
  return { node, keyNode, complete: true };
}

/** Offset of character `inner` of a scalar's value in the source file. */
function innerOffset(text: string, node: Node, inner: number): number {
  const [start, end] = node.range ?? [0, 0];
  if (!isScalar(node) || typeof node.value !== 'string') return start;
  const value = node.value;
  const raw = text.slice(start, end);
  const at = raw.indexOf(value);
  if (at >= 0) return start + at + Math.min(inner, value.length);
  // Block and multi-line scalars change whitespace but keep the tokens in order: find the token
  // at `inner`, counting its earlier occurrences in the value to pick the same one in the source.
  const token = /^\S+/.exec(value.slice(inner))?.[0];
  if (!token) return start;
  let n = 0;
  for (let i = value.indexOf(token); i >= 0 && i < inner; i = value.indexOf(token, i + 1)) n++;
  let pos = -1;
  for (let k = 0; k <= n; k++) {
    pos = raw.indexOf(token, pos + 1);
    if (pos < 0) return start;
  }
  return start + pos;
}

export class Locator {
  constructor(
    private readonly fileName: string,
    private readonly text: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  at(offset: number, path: string, message: string): LocatedError {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.fileName, line, col, offset, path, message };
  }

  locate(problem: Problem): LocatedError {
    const found = walk(this.doc, problem.path);
    let offset = 0;
    const target = found.complete && problem.target === 'key' && found.keyNode ? found.keyNode : found.node;
    if (target?.range) offset = target.range[0];
    if (found.complete && problem.inner !== undefined && target && target !== found.keyNode) {
      offset = innerOffset(this.text, target, problem.inner);
    }
    return this.at(offset, formatPath(problem.path), problem.message);
  }
}
