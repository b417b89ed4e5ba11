// The time index of a window store or join buffer: entries filed by the segment of their bucket time
// (segments of retention / SEGMENTS), in arrival order, CHUNK entries per stored value:
//
//   x\0<segment>\0<chunk>      up to CHUNK entries
//
// The list of live segments, with their chunk counts, lives in the owner's meta (`b`), so a new
// entry rewrites one chunk and a meta of a few segments at the next commit, never a whole index.
// Expiry drops whole segments, as Kafka Streams' segmented stores do.
import type { KeyValueStore } from '../store.ts';

/** Segments per retention period: how late past retention an entry may still be deleted. */
export const SEGMENTS = 8;
/** Entries per chunk: what one appended entry costs the next commit to re-encode, at most. */
export const CHUNK = 32;

/** [segment start, number of chunks]. */
export type Segment = [number, number];

const SEP = '\u0000';
const chunkKey = (segment: number, chunk: number) => `x${SEP}${segment}${SEP}${chunk}`;

export const segmentLength = (retentionMs: number): number => Math.max(1, Math.floor(retentionMs / SEGMENTS));

export class SegmentIndex<E> {
  constructor(
    private readonly store: KeyValueStore<any>,
    /** The owner's meta list of live segments, ascending; changed in place (the owner saves it). */
    private readonly segments: Segment[],
    private readonly segmentMs: number,
  ) {}

  /** Files an entry under its bucket time's segment, at the end of the segment's last chunk. */
  append(bucket: number, entry: E): void {
    const segment = Math.floor(bucket / this.segmentMs) * this.segmentMs;
    const b = this.segments;
    let i = b.length;
    while (i > 0 && b[i - 1]![0] > segment) i--;
    let seg = b[i - 1];
    if (!seg || seg[0] !== segment) {
      seg = [segment, 0];
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
   * Removes every segment whose bucket times are all before `limit`, oldest first, handing each
   * one's entries to `expired` first.
   */
  expire(limit: number, expired: (entries: E[]) => void): void {
    const b = this.segments;
    while (b.length > 0 && b[0]![0] + this.segmentMs <= limit) {
      const [segment, chunks] = b.shift()!;
      expired([...this.entries(segment, chunks)]);
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

  private *entries(segment: number, chunks: number): Iterable<E> {
    for (let c = 0; c < chunks; c++) yield* (this.store.get(chunkKey(segment, c)) as E[] | undefined) ?? [];
  }
}
