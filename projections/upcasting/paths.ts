// Dotted field paths (`amount`, `data.amount`) inside an event being upcast. Events are JSON, so a
// missing intermediate object is simply created when writing.
import type { Row } from '../records.ts';

const isObject = (v: unknown): v is Row => v !== null && typeof v === 'object' && !Array.isArray(v);

export function getPath(row: Row, path: readonly string[]): unknown {
  let cur: unknown = row;
  for (const p of path) {
    if (!isObject(cur) || !Object.hasOwn(cur, p)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function setPath(row: Row, path: readonly string[], value: unknown): void {
  let cur = row;
  for (const p of path.slice(0, -1)) {
    const next = cur[p];
    if (!isObject(next)) cur[p] = {};
    cur = cur[p] as Row;
  }
  cur[path.at(-1)!] = value;
}

export function deletePath(row: Row, path: readonly string[]): void {
  let cur: unknown = row;
  for (const p of path.slice(0, -1)) {
    if (!isObject(cur)) return;
    cur = cur[p];
  }
  if (isObject(cur)) delete cur[path.at(-1)!];
}

export const splitPath = (path: string): string[] => path.split('.');
