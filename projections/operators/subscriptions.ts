// The foreign-key join's subscription index on the right side: for each foreign-key value, the
// left rows that reference it, with the hash of the row version that subscribed.
//
// Kafka Streams keeps one row per (foreign key, left key) and prefix-scans it on a right change.
// Operators here only get/put/delete (the runtime's reads are a write cache, then LevelDB's
// getSync, which has no synchronous iterator), so the subscribers of one foreign key are kept in
// one value instead: a subscription change is one get and one put, like Kafka Streams' one write,
// and several changes to one foreign key between two commits cost one changelog record.
//
//   h<fk>        { e: [[left, hash], …] }  the subscribers, oldest first, while they are few
//                { d: depth }              or: they are spread over 2^depth buckets
//   b<i>:<fk>    { e: [[left, hash], …] }  bucket i: the subscribers whose key hashes to i
//
// A value holds at most CHUNK_MAX subscribers, so a foreign key referenced by a million rows still
// writes small values: past that the head splits into buckets by the hash of the left key, and a
// full bucket doubles the bucket count. Fan-out then lists buckets in order (each oldest first),
// still deterministic. Heads written by the earlier linked-list layout are converted on first use.
import { canonicalJson, encodeKey } from '../keys.ts';
import type { KeyValueStore } from '../store.ts';
import { hashString } from './hash.ts';
import { isLegacyHead, takeLegacyList, type LegacyStored } from './subscriptions-legacy.ts';

/** [left key, hash of the subscribing left row] */
type Subscriber = [unknown, number];

interface Chunk {
  e: Subscriber[];
}

interface Split {
  d: number;
}

type Stored = Chunk | Split | LegacyStored;

/** Most subscribers kept in one value. */
export const CHUNK_MAX = 64;
/** Subscribers per bucket right after a split or a doubling. */
const BUCKET_TARGET = 16;

// The foreign key is compared in its encoded form, like every key: FK 0 finds the right row keyed 0.
const fkJson = (fk: unknown) => JSON.stringify(encodeKey(fk));
const headKey = (fk: unknown) => `h${fkJson(fk)}`;
const bucketKey = (fk: unknown, i: number) => `b${i}:${fkJson(fk)}`;
const bucketOf = (canon: string, depth: number) => hashString(canon) % 2 ** depth;

export class SubscriptionIndex {
  constructor(private readonly store: KeyValueStore<Stored>) {}

  /** Adds or refreshes a subscription; an existing one keeps its place. */
  subscribe(fk: unknown, left: unknown, hash: number): void {
    const canon = canonicalJson(left);
    const hk = headKey(fk);
    const head = this.head(fk, hk);
    if (!head) {
      this.store.put(hk, { e: [[left, hash]] });
      return;
    }
    if ('d' in head) {
      const bk = bucketKey(fk, bucketOf(canon, head.d));
      const bucket = withSubscriber((this.store.get(bk) as Chunk | undefined)?.e ?? [], left, canon, hash);
      if (bucket === null) return;
      if (bucket.length <= CHUNK_MAX) this.store.put(bk, { e: bucket });
      else this.spread(fk, head.d, head.d + 1, bk, bucket);
      return;
    }
    const list = withSubscriber(head.e, left, canon, hash);
    if (list === null) return;
    if (list.length <= CHUNK_MAX) this.store.put(hk, { e: list });
    else this.split(fk, hk, list);
  }

  unsubscribe(fk: unknown, left: unknown): void {
    const canon = canonicalJson(left);
    const hk = headKey(fk);
    const head = this.head(fk, hk);
    if (!head) return;
    // A split head stays when its buckets empty: finding out would read every bucket.
    const key = 'd' in head ? bucketKey(fk, bucketOf(canon, head.d)) : hk;
    const list = 'd' in head ? (this.store.get(key) as Chunk | undefined)?.e : head.e;
    const at = list ? indexOf(list, left, canon) : -1;
    if (at < 0) return;
    if (list!.length === 1) this.store.delete(key);
    else this.store.put(key, { e: list!.filter((_, i) => i !== at) });
  }

  /** The subscribers of `fk`: oldest first, bucket by bucket once split. */
  *subscribers(fk: unknown): Generator<{ left: unknown; hash: number }> {
    const head = this.head(fk, headKey(fk));
    if (!head) return;
    if (!('d' in head)) {
      for (const [left, hash] of head.e) yield { left, hash };
      return;
    }
    for (let i = 0; i < 2 ** head.d; i++) {
      const bucket = this.store.get(bucketKey(fk, i)) as Chunk | undefined;
      for (const [left, hash] of bucket?.e ?? []) yield { left, hash };
    }
  }

  /** The head of `fk`, converted from the linked-list layout if it is one. */
  private head(fk: unknown, hk: string): Chunk | Split | undefined {
    const head = this.store.get(hk);
    if (head === undefined || !isLegacyHead(head)) return head as Chunk | Split | undefined;
    const list = takeLegacyList(this.store, fk, head);
    this.store.delete(hk);
    if (list.length <= CHUNK_MAX) {
      if (list.length > 0) this.store.put(hk, { e: list });
    } else this.split(fk, hk, list);
    return this.store.get(hk) as Chunk | Split | undefined;
  }

  /** The head's subscribers outgrew one value: they move into buckets. */
  private split(fk: unknown, hk: string, list: Subscriber[]): void {
    let depth = 1;
    while (2 ** depth * BUCKET_TARGET < list.length) depth++;
    this.store.put(hk, { d: depth });
    this.writeBuckets(fk, depth, list, []);
  }

  /** A bucket outgrew one value: every bucket is spread over twice as many. */
  private spread(fk: unknown, depth: number, newDepth: number, grownKey: string, grown: Subscriber[]): void {
    const all: Subscriber[] = [];
    for (let i = 0; i < 2 ** depth; i++) {
      const bk = bucketKey(fk, i);
      all.push(...(bk === grownKey ? grown : ((this.store.get(bk) as Chunk | undefined)?.e ?? [])));
    }
    this.store.put(headKey(fk), { d: newDepth });
    this.writeBuckets(
      fk,
      newDepth,
      all,
      Array.from({ length: 2 ** depth }, (_, i) => i),
    );
  }

  /** Writes `list` into 2^depth buckets; `stale` buckets that end up empty are deleted. */
  private writeBuckets(fk: unknown, depth: number, list: Subscriber[], stale: number[]): void {
    const buckets = new Map<number, Subscriber[]>();
    for (const s of list) {
      const i = bucketOf(canonicalJson(s[0]), depth);
      const bucket = buckets.get(i);
      if (bucket) bucket.push(s);
      else buckets.set(i, [s]);
    }
    for (const i of stale) if (!buckets.has(i)) this.store.delete(bucketKey(fk, i));
    for (const [i, bucket] of [...buckets].sort((a, b) => a[0] - b[0]))
      this.store.put(bucketKey(fk, i), { e: bucket });
  }
}

/**
 * The (encoded foreign key, left key JSON, hash) triples held by a subscription store's rows,
 * sorted: its content without what depends on history (order, buckets, a split head left empty).
 */
export function subscriptionTriples(rows: Iterable<[string, unknown]>): Array<[string, string, number]> {
  const out: Array<[string, string, number]> = [];
  for (const [key, value] of rows) {
    if (!value || typeof value !== 'object' || !('e' in value)) continue;
    const fk = JSON.parse(key.startsWith('h') ? key.slice(1) : key.slice(key.indexOf(':') + 1)) as string;
    for (const [left, hash] of (value as Chunk).e) out.push([fk, canonicalJson(left), hash]);
  }
  return out.sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : 1));
}

/** Where `left` (canonical form `canon`) is in `list`; string keys compare without encoding each entry. */
function indexOf(list: Subscriber[], left: unknown, canon: string): number {
  if (typeof left === 'string') return list.findIndex((s) => s[0] === left);
  return list.findIndex((s) => typeof s[0] !== 'string' && canonicalJson(s[0]) === canon);
}

/** `list` with the subscription added or its hash refreshed in place; null if nothing changes. */
function withSubscriber(list: Subscriber[], left: unknown, canon: string, hash: number): Subscriber[] | null {
  const at = indexOf(list, left, canon);
  if (at < 0) return [...list, [left, hash]];
  if (list[at]![1] === hash) return null;
  return list.map((s, i) => (i === at ? [s[0], hash] : s));
}
