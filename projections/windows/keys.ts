// Windowed keys: what a windowed projection emits as its record key, how fixtures and queries name
// it, how the window store lays it out, and Kafka Streams' binary layout for output topics.
//
// - Record key (JSON, the default on output topics): { key: <group key>, window: { start, end } }.
// - Table key (fixtures, final tables): `<encoded group key>@<start>-<end>`.
// - Store key: `w\0<encoded group key>\0<start>` (sessions: `…\0<start>\0<end>`), times as fixed
//   width hex so one key's windows are contiguous and ordered by start.
// - Row key (what queries name and page over): `<encoded group key>\0<start>\0<end>`, same hex
//   times, so a scan pages over (key, window start) and one key's windows are one contiguous range.
//   Queries derive such rows from the window store (projections/rows/window-rows.ts); sessions with
//   emit final keep them in a rows store under these keys.
import { canonicalJson, encodeKey } from '../keys.ts';
import type { Window, WindowType } from './spec.ts';

export interface WindowedKey {
  key: unknown;
  window: Window;
}

export const windowedKey = (key: unknown, window: Window): WindowedKey => ({
  key,
  window: { start: window.start, end: window.end },
});

/**
 * canonicalJson(k) of a windowed key, built directly: `key` sorts before `window`, `end` before
 * `start`. Every windowed output record's key goes through it, so it skips the generic walk.
 */
export function encodeWindowedKey(k: WindowedKey): string {
  if (k.key === undefined) return canonicalJson(k);
  return windowedKeyJson(canonicalJson(k.key), k.window);
}

const lastWindow = { start: NaN, end: NaN, json: '' };
/**
 * encodeWindowedKey from the group key's canonicalJson: an operator encodes its key once for all
 * of a record's windows. A task's records mostly fall in the same few windows: the last window's
 * part is kept.
 */
export function windowedKeyJson(keyJson: string, window: Window): string {
  if (window.start !== lastWindow.start || window.end !== lastWindow.end) {
    lastWindow.start = window.start;
    lastWindow.end = window.end;
    lastWindow.json = `,"window":{"end":${canonicalJson(window.end)},"start":${canonicalJson(window.start)}}}`;
  }
  return `{"key":${keyJson}${lastWindow.json}`;
}

/**
 * canonicalJson of a group key from its encodeKey (strings are the only keys encoded as they are);
 * undefined for an undefined key, which a windowed key's JSON leaves out.
 */
export const keyJsonOf = (key: unknown, encodedKey: string): string | undefined =>
  key === undefined ? undefined : typeof key === 'string' ? JSON.stringify(key) : encodedKey;

export function isWindowedKey(v: unknown): v is WindowedKey {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const w = o.window as Record<string, unknown> | null | undefined;
  return (
    'key' in o &&
    Object.keys(o).length === 2 &&
    w !== null &&
    typeof w === 'object' &&
    typeof w.start === 'number' &&
    typeof w.end === 'number'
  );
}

/** How final tables name a row: `<key>@<start>-<end>` for windowed keys, encodeKey otherwise. */
export function tableKey(key: unknown): string {
  return isWindowedKey(key) ? `${encodeKey(key.key)}@${key.window.start}-${key.window.end}` : encodeKey(key);
}

const SEP = '\u0000';
const TIME_HEX = 12;
const lastTime = { t: NaN, hex: '' };
/** Fixed-width time, so string order is time order (timestamps are non-negative). */
function time(t: number): string {
  // a task's records mostly fall in the same few windows: the last one is kept
  if (t !== lastTime.t) {
    lastTime.t = t;
    lastTime.hex = Math.max(0, t).toString(16).padStart(TIME_HEX, '0');
  }
  return lastTime.hex;
}

/** Prefix of every window of one group key. */
export const windowKeyPrefix = (encodedKey: string): string => `w${SEP}${encodedKey}${SEP}`;

export function windowStoreKey(encodedKey: string, window: Window, type: WindowType): string {
  const base = `${windowKeyPrefix(encodedKey)}${time(window.start)}`;
  return type === 'session' ? `${base}${SEP}${time(window.end)}` : base;
}

/**
 * Reads windowStoreKey back (the encoded group key and the window; time windows store only their
 * start, so `sizeMs` gives the end), or undefined for any other key of a window store.
 */
export function parseWindowStoreKey(
  storeKey: string,
  type: WindowType,
  sizeMs: number,
): { key: string; window: Window } | undefined {
  if (!storeKey.startsWith(`w${SEP}`)) return undefined;
  const times = type === 'session' ? 2 : 1;
  const keyEnd = storeKey.length - times * (TIME_HEX + 1);
  if (keyEnd < 2) return undefined;
  const start = parseInt(storeKey.slice(keyEnd + 1, keyEnd + 1 + TIME_HEX), 16);
  const end = type === 'session' ? parseInt(storeKey.slice(-TIME_HEX), 16) : start + sizeMs;
  if (!Number.isFinite(start) || !Number.isFinite(end)) return undefined;
  return { key: storeKey.slice(2, keyEnd), window: { start, end } };
}

/** The rows-store key of one window of a group key (windowed projections). */
export const windowRowKey = (encodedKey: string, window: Window): string =>
  `${windowRowPrefix(encodedKey)}${time(window.start)}${SEP}${time(window.end)}`;

/** Prefix of every rows-store key of one group key. */
export const windowRowPrefix = (encodedKey: string): string => `${encodedKey}${SEP}`;

/** The rows-store key bound for window starts: keys ≥ it have start ≥ `start`. */
export const windowRowBound = (encodedKey: string, start: number): string =>
  `${windowRowPrefix(encodedKey)}${time(start)}`;

/** Reads windowRowKey back, or undefined when the key does not have its layout. */
export function parseWindowRowKey(rowKey: string): { key: string; window: Window } | undefined {
  const n = rowKey.length;
  const endAt = n - TIME_HEX;
  const startAt = endAt - 1 - TIME_HEX;
  if (startAt < 1 || rowKey[startAt - 1] !== SEP || rowKey[endAt - 1] !== SEP) return undefined;
  const start = parseInt(rowKey.slice(startAt, endAt - 1), 16);
  const end = parseInt(rowKey.slice(endAt), 16);
  if (!Number.isFinite(start) || !Number.isFinite(end)) return undefined;
  return { key: rowKey.slice(0, startAt - 1), window: { start, end } };
}

/**
 * Kafka Streams' windowed key bytes, for consumers that read output topics with its
 * TimeWindowedDeserializer / SessionWindowedDeserializer: the serialized key, then the window start
 * as an 8-byte big-endian long (time windows), or the end then the start (sessions).
 */
export function binaryWindowedKey(keyBytes: Uint8Array, window: Window, type: WindowType): Uint8Array {
  const times = type === 'session' ? [window.end, window.start] : [window.start];
  const out = new Uint8Array(keyBytes.length + 8 * times.length);
  out.set(keyBytes, 0);
  const view = new DataView(out.buffer);
  times.forEach((t, i) => view.setBigInt64(keyBytes.length + 8 * i, BigInt(t)));
  return out;
}

/**
 * Reads binaryWindowedKey's layout back: the key bytes and the window. Time windows carry only
 * their start; `sizeMs` gives the end (as Kafka Streams' deserializer takes the window size).
 */
export function parseBinaryWindowedKey(
  bytes: Uint8Array,
  type: WindowType,
  sizeMs = 0,
): { keyBytes: Uint8Array; window: Window } {
  const n = type === 'session' ? 2 : 1;
  const keyLength = bytes.length - 8 * n;
  if (keyLength < 0) throw new Error(`a ${type} windowed key has at least ${8 * n} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = Number(view.getBigInt64(keyLength));
  if (type !== 'session')
    return { keyBytes: bytes.slice(0, keyLength), window: { start: first, end: first + sizeMs } };
  return {
    keyBytes: bytes.slice(0, keyLength),
    window: { start: Number(view.getBigInt64(keyLength + 8)), end: first },
  };
}

/**
 * The order in which keys sharing a window are emitted: the order of their serialized bytes in
 * Kafka Streams' stores (numbers numerically, strings by code unit, anything else as canonical JSON).
 */
export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = typeof a === 'string' ? a : canonicalJson(a);
  const y = typeof b === 'string' ? b : canonicalJson(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
