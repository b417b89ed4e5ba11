// The time index of a window store or join buffer: entries filed by the segment of their bucket time
// (segments of retention / SEGMENTS), in arrival order, CHUNK entries per stored value:
//
//   x\0<segment>\0<chunk>      up to CHUNK entries
//
// The list of live segments, with their chunk counts, lives in the owner's meta (`b`), so a new
// entry rewrites one chunk and a meta of a few segments at the next commit, never a whole index.
// Expiry drops whole segments, as Kafka Streams' segmented stores do.
//
// An owner whose keys may have entries in several segments (a join buffer: one value per key) can
// have each segment track whether some key of it has a later entry in a later segment
// ("continued"). Expiry tells the owner, so it looks for the expired keys among the live segments
// only when one may be there; a segment filed without tracking counts as continued.
import type { KeyValueStore } from '../store.ts';

/** Segments per retention period: how late past retention an entry may still be deleted. */
export const SEGMENTS = 8;
/** Entries per chunk: what one appended entry costs the next commit to re-encode, at most. */
export const CHUNK = 32;

/** [segment start, number of chunks, continued: 0 = no key of it has a later entry elsewhere]. */
export type Segment = [start: number, chunks: number, continued?: 0 | 1];

const SEP = '\u0000';
const chunkKey = (segment: number, chunk: number) => `x${SEP}${segment}${SEP}${chunk}`;

export const segmentLength = (retentionMs: number): number => Math.max(1, Math.floor(retentionMs / SEGMENTS));

export class SegmentIndex<E> {
  constructor(
    private readonly store: KeyValueStore<any>,
    /** The owner's meta list of live segments, ascending; changed in place (the owner saves it). */
    private readonly segments: Segment[],
    private readonly segmentMs: number,
    /** New segments start as not continued (the owner calls `continued`); else unknown. */
    private readonly tracksContinued = false,
  ) {}

  /** Files an entry under its bucket time's segment, at the end of the segment's last chunk. */
  append(bucket: number, entry: E): void {
    const segment = this.segmentOf(bucket);
    const b = this.segments;
    let i = b.length;
    while (i > 0 && b[i - 1]![0] > segment) i--;
    let seg = b[i - 1];
    if (!seg || seg[0] !== segment) {
      seg = this.tracksContinued ? [segment, 0, 0] : [segment, 0];
      b.splice(i, 0, seg);
    }
    const last = seg[1] - 1;
    const chunk = last >= 0 ? (this.store.get(chunkKey(segment, last)) as E[] | undefined) : undefined;
    if (chunk && chunk.length < CHUNK) {
      chunk.push(entry);
      this.store.put(chunkKey(segment, last), chunk);
    } else {
      this.store.put(chunkKey(segment, seg[1]), [entry]);
      seg[1]++;
    }
  }

  /** The entries of every segment that may hold bucket times in [from, to], segment by segment. */
  *overlapping(from: number, to: number): Iterable<E> {
    for (const [segment, chunks] of this.segments)
      if (segment <= to && segment + this.segmentMs > from) yield* this.entries(segment, chunks);
  }

  /**
   * A key whose newest entry was at `previousNewest` got one at `added`: the earlier of the two
   * segments (when they differ) now holds a key continued later. Every segment of a key but its
   * newest stays marked, since the segment that stops being the newest is the one marked.
   */
  continued(previousNewest: number, added: number): void {
    const before = this.segmentOf(previousNewest);
    const now = this.segmentOf(added);
    if (before === now) return;
    const seg = this.segments.find(([start]) => start === Math.min(before, now));
    if (seg?.[2] === 0) seg[2] = 1;
  }

  /** Whether `expire(limit)` would remove a segment. */
  hasExpired(limit: number): boolean {
    const first = this.segments[0];
    return first !== undefined && first[0] + this.segmentMs <= limit;
  }

  /**
   * Removes every segment whose bucket times are all before `limit`, oldest first, handing each
   * one's entries to `expired` first, with whether one of its keys may go on in a later segment.
   */
  expire(limit: number, expired: (entries: E[], continued: boolean) => void): void {
    const b = this.segments;
    while (this.hasExpired(limit)) {
      const [segment, chunks, continued] = b.shift()!;
      expired([...this.entries(segment, chunks)], continued !== 0);
      for (let c = 0; c < chunks; c++) this.store.delete(chunkKey(segment, c));
    }
  }

  /** Removes every segment, returning all entries (to re-file a store in another layout). */
  drain(): E[] {
    const all: E[] = [];
    for (const [segment, chunks] of this.segments.splice(0)) {
      all.push(...this.entries(segment, chunks));
      for (let c = 0; c < chunks; c++) this.store.delete(chunkKey(segment, c));
    }
    return all;
  }

  private segmentOf(bucket: number): number {
    return Math.floor(bucket / this.segmentMs) * this.segmentMs;
  }

  private *entries(segment: number, chunks: number): Iterable<E> {
    for (let c = 0; c < chunks; c++) yield* (this.store.get(chunkKey(segment, c)) as E[] | undefined) ?? [];
  }
}
