// The subscription index's earlier layout, read once to convert it (subscriptions.ts). State
// directories and changelogs written before the change keep, per foreign key, a doubly linked list:
//
//   h<fk>            { first, last, size }   the same key as today's head, told apart by its shape
//   e[<fk>,<left>]   { hash, prev, next }    one entry per subscriber
//
// A head of that shape is converted the first time its foreign key is used: its entries are read in
// order and deleted, and the caller writes the new head in their place.
import { canonicalJson, encodeKey } from '../keys.ts';
import type { KeyValueStore } from '../store.ts';

export interface LegacyHead {
  first: unknown;
  last: unknown;
  size: number;
}

interface LegacyEntry {
  hash: number;
  prev: [unknown] | null;
  next: [unknown] | null;
}

export type LegacyStored = LegacyHead | LegacyEntry;

const entryKey = (fk: unknown, left: unknown) => `e${canonicalJson([encodeKey(fk), left])}`;

export function isLegacyHead(value: unknown): value is LegacyHead {
  return typeof value === 'object' && value !== null && 'size' in value && 'first' in value;
}

/** The subscribers of a linked-list head, oldest first; their entries are deleted. */
export function takeLegacyList(
  store: KeyValueStore<any>,
  fk: unknown,
  head: LegacyHead,
): Array<[unknown, number]> {
  const list: Array<[unknown, number]> = [];
  let cur: [unknown] | null = [head.first];
  while (cur) {
    const key = entryKey(fk, cur[0]);
    const entry = store.get(key) as LegacyEntry | undefined;
    if (!entry) break; // a broken list ends here rather than failing the task
    list.push([cur[0], entry.hash]);
    store.delete(key);
    cur = entry.next;
  }
  return list;
}
