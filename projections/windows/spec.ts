// A window definition resolved to milliseconds, and which time windows a timestamp falls in.
// Defaults follow Kafka Streams 3.x (not ksqlDB's legacy 24 h grace): grace 0, retention = the
// shortest that still lets every window take its late records (size + grace, session gap + grace).
import type { WindowDef } from '../definition/schema.ts';
import { parseDuration } from '../history/duration.ts';

export type WindowType = 'tumbling' | 'hopping' | 'session';
export type EmitMode = 'changes' | 'final';

export interface WindowSpec {
  type: WindowType;
  /** Time windows: length and step (tumbling: advance = size). 0 for sessions. */
  sizeMs: number;
  advanceMs: number;
  /** Sessions: the inactivity that ends a session. 0 for time windows. */
  gapMs: number;
  graceMs: number;
  retentionMs: number;
  emit: EmitMode;
}

/** A window's bounds: [start, end) for time windows, [start, end] (both record times) for sessions. */
export interface Window {
  start: number;
  end: number;
}

const ms = (v: number | string | undefined): number => (v === undefined ? 0 : (parseDuration(v) ?? 0));

export function resolveWindow(def: WindowDef, emit: EmitMode = 'changes'): WindowSpec {
  const sizeMs = ms(def.size);
  const gapMs = ms(def.gap);
  const advanceMs = def.type === 'hopping' ? ms(def.advance) : sizeMs;
  const graceMs = ms(def.grace);
  const span = def.type === 'session' ? gapMs : sizeMs;
  const retentionMs = def.retention === undefined ? span + graceMs : ms(def.retention);
  return { type: def.type, sizeMs, advanceMs, gapMs, graceMs, retentionMs, emit };
}

/**
 * Whether a time window has closed at `streamTime`: a record for it is late (dropped), as Kafka
 * Streams' window aggregations decide. Commands use the same rule to refuse what would be late.
 */
export const windowClosed = (window: Window, streamTime: number, graceMs: number): boolean =>
  window.end <= streamTime - graceMs;

/** The time windows holding timestamp t, by ascending start; none starts before 0 (Kafka Streams). */
export function timeWindowsFor(t: number, spec: Pick<WindowSpec, 'sizeMs' | 'advanceMs'>): Window[] {
  const { sizeMs, advanceMs } = spec;
  const windows: Window[] = [];
  let start = Math.floor(Math.max(0, t - sizeMs + advanceMs) / advanceMs) * advanceMs;
  for (; start <= t; start += advanceMs) windows.push({ start, end: start + sizeMs });
  return windows;
}

export function describeWindow(spec: WindowSpec): string {
  const shape =
    spec.type === 'session'
      ? `session gap ${spec.gapMs} ms`
      : spec.type === 'hopping'
        ? `hopping size ${spec.sizeMs} ms advance ${spec.advanceMs} ms`
        : `tumbling size ${spec.sizeMs} ms`;
  return `${shape}, grace ${spec.graceMs} ms, retention ${spec.retentionMs} ms, emit ${spec.emit}`;
}
