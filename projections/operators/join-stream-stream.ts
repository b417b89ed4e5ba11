// Windowed stream–stream join on the record key, with Kafka Streams 3.x semantics
// (KStreamKStreamJoin). A left record at l matches a right record at r when l - before <= r <= l + after.
// Each side buffers its records in a window store for before + after + grace (measured from the
// newest timestamp that side has seen), so a record finds the partners that arrived earlier; every
// match emits one row per partner, in partner-timestamp order, stamped max(l, r).
// Unmatched records of the outer side(s) (left: left, right: right, outer: both) are null-padded:
// - unmatched: onClose (default): held until their window closes, i.e. shared stream time passes
//   ts + after (left records; before for right records) + grace, and dropped from the hold as soon
//   as a partner arrives, so no spurious early null row is ever emitted. A record already behind
//   stream time by more than its bound is padded at once.
// A record more than before + after + grace behind the newest record of its side is late: its buffer
// does not take it, and it is reported (ctx.late) like a late record of a windowed aggregate.
// - unmatched: eager: padded at once (ksqlDB without GRACE); a later match adds the joined row.
import { encodeKey } from '../keys.ts';
import type { Row } from '../records.ts';
import { JoinBuffer } from '../windows/join-buffer.ts';
import { compareKeys } from '../windows/keys.ts';
import { pick } from './fields.ts';
import type { Next, Port, ProcessorContext, RecordMeta, StreamItem } from './types.ts';

export type StreamJoinType = 'inner' | 'left' | 'right' | 'outer';

export interface StreamJoinSpec {
  projection: string;
  alias: string;
  type: StreamJoinType;
  beforeMs: number;
  afterMs: number;
  graceMs: number;
  unmatched: 'onClose' | 'eager';
  stores: { left: string; right: string; unmatched: string };
  /**
   * What the expressions after the join read, asked at the first record, once every expression of
   * the projection is compiled. A buffered (or held) record keeps only that: its origin only when
   * _topic, _partition or _offset is read, and only the fields read of each side's row, as ksqlDB
   * projects a join's inputs to the columns its query uses. Absent: records are kept whole.
   */
  reads?: () => JoinReads;
}

export interface JoinReads {
  /** Whether a record's origin (_topic, _partition, _offset) is read. */
  origin: boolean;
  /** The fields read of each side's row; null: the row may be read whole. */
  left: ReadonlySet<string> | null;
  right: ReadonlySet<string> | null;
}

const WHOLE: JoinReads = { origin: true, left: null, right: null };

type Side = 'left' | 'right';

/**
 * One record (several may share a key and timestamp). A join buffer keeps neither the key (its
 * store key is the encoded key; a partner's key is never read) nor, unless read, the origin,
 * nor the fields of its row that nothing after the join reads: all went into every buffered value,
 * and into its changelog record, for nothing.
 */
interface Buffered {
  k?: unknown;
  v: Row;
  y: unknown;
  m?: RecordMeta | null;
}

/** Unmatched records waiting for their window to close, and the join's shared stream time. */
interface Held {
  t: number;
  /** 0 = left, 1 = right: Kafka Streams orders held records by time, then side, then key. */
  s: 0 | 1;
  e: string;
  r: Buffered[];
}
interface HeldState {
  st: number;
  h: Held[];
}

const HELD = 'h';

export function streamJoinSide(spec: StreamJoinSpec, side: Side, out: Port<StreamItem>): Next<StreamItem> {
  const other: Side = side === 'left' ? 'right' : 'left';
  const retentionMs = spec.beforeMs + spec.afterMs + spec.graceMs;
  // a left record looks `before` back and `after` ahead; a right record the other way round
  const back = side === 'left' ? spec.beforeMs : spec.afterMs;
  const ahead = side === 'left' ? spec.afterMs : spec.beforeMs;
  const outerHere = spec.type === 'outer' || (side === 'left' ? spec.type === 'left' : spec.type === 'right');
  const hold = spec.unmatched === 'onClose';
  let reads: JoinReads | undefined;
  let fields: ReadonlySet<string> | null = null;

  return (item, ctx) => {
    if (item.key === null || item.key === undefined) return;
    const held = ctx.stores.store<HeldState>(spec.stores.unmatched);
    const state = held.get(HELD) ?? { st: -1, h: [] };
    const ts = item.timestamp;
    state.st = Math.max(state.st, ts);
    const e = encodeKey(item.key);
    if (reads === undefined) {
      reads = spec.reads?.() ?? WHOLE;
      fields = reads[side];
    }
    const v = fields ? pick(item.value, fields) : item.value;
    const kept: Buffered = reads.origin ? { v, y: item.type, m: item.meta } : { v, y: item.type };

    const mine = new JoinBuffer<Buffered>(ctx.stores.store(spec.stores[side]), retentionMs);
    if (mine.add(e, ts, kept)) mine.save();
    // Later than the join window + grace behind its side's newest record: not buffered, so no later
    // partner can find it (Kafka Streams drops it from its window store and counts it). It still meets
    // the partners buffered now, and an outer side pads it at once, as before.
    else ctx.late?.({ projection: spec.projection, key: item.key, timestamp: ts, streamTime: mine.meta.nb });

    if (hold && ts === state.st) emitClosed(spec, state, ahead, ctx, out);

    const from = Math.max(0, ts - back);
    const to = Math.max(0, ts + ahead);
    const theirs = new JoinBuffer<Buffered>(ctx.stores.store(spec.stores[other]), retentionMs);
    const partners = theirs.within(e, from, to);
    if (partners.length === 0 && !outerHere) {
      held.put(HELD, state);
      return;
    }
    // the record whole (key and origin), for the rows it makes and for holding
    const buffered: Buffered = { k: item.key, v: item.value, y: item.type, m: item.meta };
    for (const [t, records] of partners) {
      if (hold) unhold(state, t, other, e);
      for (const r of records) {
        const [l, rr] = side === 'left' ? [buffered, r] : [r, buffered];
        out.push(joined(spec.alias, l, rr, item, Math.max(ts, t)), ctx);
      }
    }
    if (outerHere && partners.length === 0) {
      if (!hold || to < state.st) out.push(padded(spec.alias, side, buffered, ts), ctx);
      else holdRecord(state, ts, side, e, { ...kept, k: item.key });
    }
    held.put(HELD, state);
  };
}

/** The commit-time check (SubTopology.punctuate): pads held records whose window closed. */
export function emitClosedUnmatched(
  spec: StreamJoinSpec,
  ctx: ProcessorContext,
  out: Port<StreamItem>,
): void {
  const held = ctx.stores.store<HeldState>(spec.stores.unmatched);
  const state = held.get(HELD);
  if (!state || state.h.length === 0) return;
  emitClosed(spec, state, Math.min(spec.afterMs, spec.beforeMs), ctx, out);
  held.put(HELD, state);
}

function joined(alias: string, l: Buffered, r: Buffered, item: StreamItem, timestamp: number): StreamItem {
  return { key: item.key, value: { ...l.v, [alias]: r.v }, timestamp, type: l.y, meta: l.m ?? null };
}

function padded(alias: string, side: Side, b: Buffered, timestamp: number): StreamItem {
  const value = side === 'left' ? { ...b.v, [alias]: null } : { [alias]: b.v };
  return { key: b.k, value, timestamp, type: side === 'left' ? b.y : null, meta: b.m ?? null };
}

function holdRecord(state: HeldState, t: number, side: Side, e: string, b: Buffered): void {
  const s = side === 'left' ? 0 : 1;
  const entry: Held = { t, s, e, r: [b] };
  // records mostly arrive in time order: find the place from the end
  const h = state.h;
  let i = h.length;
  while (i > 0 && order(h[i - 1]!, entry) > 0) i--;
  const same = h[i - 1];
  if (same && order(same, entry) === 0 && same.e === e) same.r.push(b);
  else h.splice(i, 0, entry);
}

/** Kafka Streams' order of held records: time, then side (left first), then key. */
const order = (a: Held, b: Held): number => a.t - b.t || a.s - b.s || compareKeys(a.r[0]!.k, b.r[0]!.k);

/** A partner arrived: the held records of that side, key and timestamp will never be padded. */
function unhold(state: HeldState, t: number, side: Side, e: string): void {
  const s = side === 'left' ? 0 : 1;
  state.h = state.h.filter((h) => !(h.t === t && h.s === s && h.e === e));
}

/**
 * Pads the held records whose window closed: ts + after (left) / before (right) + grace < stream
 * time. The runtime may call it at commit as well (same stream time, same result).
 */
function emitClosed(
  spec: StreamJoinSpec,
  state: HeldState,
  ahead: number,
  ctx: ProcessorContext,
  out: Port<StreamItem>,
): void {
  const first = state.h[0];
  if (!first || first.t + ahead + spec.graceMs >= state.st) return;
  const open = (h: Held) => h.t + (h.s === 0 ? spec.afterMs : spec.beforeMs) + spec.graceMs >= state.st;
  const closed = state.h.filter((h) => !open(h));
  state.h = state.h.filter(open);
  for (const h of closed)
    for (const b of h.r) out.push(padded(spec.alias, h.s === 0 ? 'left' : 'right', b, h.t), ctx);
}
