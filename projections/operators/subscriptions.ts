// The foreign-key join's subscription index on the right side: for each foreign-key value, the
// left rows that reference it, in subscription order. Kafka Streams keeps it in a store keyed by
// (fk, left key) and prefix-scans it; our store API is get/put/delete only, so the entries form a
// doubly linked list per foreign key: subscribe, unsubscribe and each fan-out step are O(1) gets
// and puts, however many rows reference one key.
import { canonicalJson, encodeKey } from '../keys.ts';
import type { KeyValueStore } from '../store.ts';

interface Head {
  first: unknown;
  last: unknown;
  size: number;
}

interface Entry {
  /** hash of the subscribing left row (stale responses are dropped on the left side) */
  hash: number;
  prev: [unknown] | null;
  next: [unknown] | null;
}

type Stored = Head | Entry;

// The foreign key is compared in its encoded form, like every key: FK 0 finds the right row keyed 0.
const headKey = (fk: unknown) => `h${JSON.stringify(encodeKey(fk))}`;
const entryKey = (fk: unknown, left: unknown) => `e${canonicalJson([encodeKey(fk), left])}`;

export class SubscriptionIndex {
  constructor(private readonly store: KeyValueStore<Stored>) {}

  /** Adds or refreshes a subscription; an existing one keeps its place. */
  subscribe(fk: unknown, left: unknown, hash: number): void {
    const ek = entryKey(fk, left);
    const existing = this.store.get(ek) as Entry | undefined;
    if (existing) {
      this.store.put(ek, { ...existing, hash });
      return;
    }
    const hk = headKey(fk);
    const head = this.store.get(hk) as Head | undefined;
    if (!head) {
      this.store.put(ek, { hash, prev: null, next: null });
      this.store.put(hk, { first: left, last: left, size: 1 });
      return;
    }
    const lastKey = entryKey(fk, head.last);
    const last = this.store.get(lastKey) as Entry;
    this.store.put(lastKey, { ...last, next: [left] });
    this.store.put(ek, { hash, prev: [head.last], next: null });
    this.store.put(hk, { ...head, last: left, size: head.size + 1 });
  }

  unsubscribe(fk: unknown, left: unknown): void {
    const ek = entryKey(fk, left);
    const entry = this.store.get(ek) as Entry | undefined;
    if (!entry) return;
    this.store.delete(ek);
    const hk = headKey(fk);
    const head = this.store.get(hk) as Head;
    if (head.size === 1) {
      this.store.delete(hk);
      return;
    }
    if (entry.prev) {
      const pk = entryKey(fk, entry.prev[0]);
      this.store.put(pk, { ...(this.store.get(pk) as Entry), next: entry.next });
    }
    if (entry.next) {
      const nk = entryKey(fk, entry.next[0]);
      this.store.put(nk, { ...(this.store.get(nk) as Entry), prev: entry.prev });
    }
    this.store.put(hk, {
      first: entry.prev ? head.first : entry.next![0],
      last: entry.next ? head.last : entry.prev![0],
      size: head.size - 1,
    });
  }

  /** The subscribers of `fk`, oldest first. */
  *subscribers(fk: unknown): Generator<{ left: unknown; hash: number }> {
    const head = this.store.get(headKey(fk)) as Head | undefined;
    if (!head) return;
    let cur: [unknown] | null = [head.first];
    while (cur) {
      const entry = this.store.get(entryKey(fk, cur[0])) as Entry;
      yield { left: cur[0], hash: entry.hash };
      cur = entry.next;
    }
  }
}
