// One client of a change feed: its filter, its position per partition, and its SSE response.
//
// Delivery rule (no gaps, no repeats): a chunk covering [from, to) of partition p is applied only
// when from ≤ position[p]; its records at or after position[p] are sent and position[p] becomes to.
// A tail chunk that starts after the position means the client is behind: it then reads on its own
// (catch-up) from its position until it meets the tail. Positions only move forward.
//
// Backpressure: events go to the socket as they come. When a tail chunk arrives while the socket
// still holds more than `maxBufferedBytes` unsent, the client is not given it: it falls behind the
// tail and reads on its own, each read waiting until the socket has drained. A client whose socket
// takes nothing for `stallMs` while events wait is cut off (`end` event, reason slow_consumer). So a
// client costs at most maxBufferedBytes plus one read, however slow it is.
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger.ts';
import { type CutOffReason, cutOffFrame, frame, toChange } from './events.ts';
import type { FeedChunk, FeedSubscriber, ProjectionFeed } from './projection-feed.ts';
import type { Positions } from './positions.ts';

export interface FeedFilter {
  key?: string;
  prefix?: string;
}

export interface SubscriptionOptions {
  feed: ProjectionFeed;
  res: ServerResponse;
  filter: FeedFilter;
  /** Where the client starts (its Last-Event-ID, or the tail's positions for a new client). */
  positions: Positions;
  maxBufferedBytes: number;
  /** How long the socket may take nothing while events wait before the client is cut off. */
  stallMs: number;
  /** Catch-up reads run under it (one shared limit per instance). */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  onEnd: (reason: CutOffReason | 'client_closed') => void;
  logger?: Logger;
}

export class Subscription implements FeedSubscriber {
  private readonly positions: Positions;
  private catchingUp: Promise<void> | null = null;
  private ended = false;

  constructor(private readonly o: SubscriptionOptions) {
    this.positions = new Map(o.positions);
    o.res.on('close', () => this.end('client_closed'));
  }

  /** Checks the start positions against the log (compacted away: snapshot), then follows it. */
  async start(): Promise<void> {
    const ranges = await this.o.feed.offsets();
    const gone = [...this.positions].filter(([p, o]) => o < ranges.get(p)!.earliest).map(([p]) => p);
    if (gone.length > 0) await this.snapshot(gone, 'the resume position is older than the log start');
    this.write(frame('ready', { partitions: this.o.feed.partitions }, this.positions));
    this.o.feed.add(this);
    this.onTailMoved();
  }

  onChunk(chunk: FeedChunk): void {
    const at = this.positions.get(chunk.partition)!;
    if (this.ended || this.catchingUp || chunk.to <= at || chunk.from > at) return;
    if (chunk.gap) {
      this.onTailMoved();
      return;
    }
    this.apply(chunk, true);
  }

  onTailMoved(): void {
    if (this.ended || this.catchingUp || !this.behind()) return;
    this.catchingUp = this.catchUp()
      .catch((err: unknown) => {
        this.o.logger?.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'change feed: catch-up failed',
        );
        this.end('feed_failed');
      })
      .finally(() => {
        this.catchingUp = null;
        // The tail may have moved on while the last read was in flight.
        if (!this.ended && this.behind()) this.onTailMoved();
      });
  }

  /** Ends the stream with a reason the client can read (not when the client left). */
  end(reason: CutOffReason | 'client_closed'): void {
    if (this.ended) return;
    this.ended = true;
    this.o.feed.remove(this);
    if (reason !== 'client_closed' && !this.o.res.destroyed) this.o.res.end(cutOffFrame(reason));
    this.o.onEnd(reason);
  }

  private behind(): boolean {
    for (const [p, o] of this.positions) if (o < this.o.feed.tailPositions.get(p)!) return true;
    return false;
  }

  private async catchUp(): Promise<void> {
    while (!this.ended && this.behind()) {
      await this.drained();
      if (this.ended) return;
      const wanted: Positions = new Map(
        [...this.positions].filter(([p, o]) => o < this.o.feed.tailPositions.get(p)!),
      );
      const chunks = await this.o.limit(() => this.o.feed.read(wanted));
      const compacted: number[] = [];
      for (const c of chunks) {
        if (this.ended) return;
        const at = this.positions.get(c.partition)!;
        if (c.to <= at || c.from > at) continue;
        if (c.gap) compacted.push(c.partition);
        else this.apply(c, false);
      }
      if (compacted.length > 0)
        await this.snapshot(compacted, 'records after the resume position were compacted away');
    }
  }

  /** Live chunks are skipped when the socket is full; catch-up chunks are read once it drained. */
  private apply(chunk: FeedChunk, live: boolean): void {
    // Checked before a chunk, not per event: its events are written at once. Behind the tail, the
    // client catches up at the pace its socket drains.
    if (live && this.o.res.writableLength > this.o.maxBufferedBytes) {
      this.onTailMoved();
      return;
    }
    const at = this.positions.get(chunk.partition)!;
    for (const r of chunk.records) {
      if (r.offset < at || !this.matches(r.key)) continue;
      this.positions.set(chunk.partition, r.offset + 1);
      this.write(frame('change', toChange(chunk.partition, r), this.positions));
      if (this.ended) return;
    }
    this.positions.set(chunk.partition, chunk.to);
  }

  /**
   * The partitions' records were (partly) compacted away: says so, then sends their current rows
   * (the last record per key from the log start to its end now) and goes on from that end.
   */
  private async snapshot(partitions: number[], why: string): Promise<void> {
    this.write(frame('compacted', { partitions, reason: why }));
    const ranges = await this.o.feed.offsets();
    for (const p of partitions) {
      const end = ranges.get(p)!.end;
      const rows = new Map<string | null, FeedChunk['records'][number]>();
      let at = ranges.get(p)!.earliest;
      while (at < end && !this.ended) {
        const [chunk] = await this.o.limit(() => this.o.feed.read(new Map([[p, at]])));
        if (!chunk || chunk.to <= at) break;
        for (const r of chunk.records) {
          if (r.offset >= end) break;
          if (!this.matches(r.key)) continue;
          if (r.value === null) rows.delete(r.key);
          else rows.set(r.key, r);
        }
        at = chunk.to;
      }
      this.positions.set(p, end);
      for (const r of rows.values()) {
        await this.drained();
        this.write(frame('snapshot', toChange(p, r)));
      }
      if (this.ended) return;
    }
    this.write(frame('snapshot-end', { partitions }, this.positions));
  }

  private matches(key: string | null): boolean {
    const { key: only, prefix } = this.o.filter;
    if (only !== undefined) return key === only;
    if (prefix !== undefined) return key !== null && key.startsWith(prefix);
    return true;
  }

  private write(text: string): void {
    if (!this.ended) this.o.res.write(text);
  }

  /** Resolves when the socket has taken most of what was written; cuts the client off if it stalls. */
  private async drained(): Promise<void> {
    const res = this.o.res;
    while (!this.ended && res.writableLength > this.o.maxBufferedBytes / 2) {
      const before = res.writableLength;
      const drained = await new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => () => {
          clearTimeout(timer);
          res.off('drain', onDrain);
          res.off('close', onClose);
          resolve(ok);
        };
        const onDrain = done(true);
        const onClose = done(true);
        const timer = setTimeout(done(false), this.o.stallMs);
        res.on('drain', onDrain);
        res.on('close', onClose);
      });
      if (!drained && res.writableLength >= before) this.end('slow_consumer');
    }
  }
}
