// canonicalJson against JSON.stringify with sorted fields, over seeded random values: the store and
// record keys of every composite or windowed key depend on it staying byte for byte the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, encodeKey } from '../../../projections/keys.ts';
import {
  encodeWindowedKey,
  keyJsonOf,
  windowedKey,
  windowedKeyJson,
} from '../../../projections/windows/keys.ts';

const sortedJson = (v: unknown): string =>
  JSON.stringify(v, (_k, val) =>
    val !== null && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(
          Object.keys(val)
            .sort()
            .map((k) => [k, (val as Record<string, unknown>)[k]]),
        )
      : val,
  ) ?? 'null';

function seeded(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 2 ? 7 : 9));
  const scalars = [0, -0, 1.5, -42, NaN, Infinity, 'a"b\\c\u0000é', '', true, false, null, undefined];
  if (pick < 7) return scalars[Math.floor(rand() * scalars.length)];
  if (pick === 7) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  const fields = ['b', 'a', 'window', 'key', 'Z', 'é', 'aa', ''];
  const obj: Record<string, unknown> = {};
  for (const f of fields) if (rand() < 0.4) obj[f] = randomValue(rand, depth + 1);
  return obj;
}

test('canonicalJson equals JSON.stringify with sorted fields', () => {
  const rand = seeded(7);
  for (let i = 0; i < 5000; i++) {
    const v = randomValue(rand, 0);
    assert.equal(canonicalJson(v), sortedJson(v), `value ${i}`);
  }
});

test('canonicalJson sorts fields given out of order, and encodeKey keeps strings as they are', () => {
  assert.equal(
    canonicalJson({ window: { start: 1, end: 2 }, key: 'c1' }),
    '{"key":"c1","window":{"end":2,"start":1}}',
  );
  assert.equal(canonicalJson({ b: undefined, a: [undefined, 1] }), '{"a":[null,1]}');
  assert.equal(encodeKey('c"1'), 'c"1');
  assert.equal(encodeKey(12), '12');
});

test('encodeWindowedKey equals canonicalJson of the windowed key', () => {
  const rand = seeded(11);
  for (let i = 0; i < 2000; i++) {
    const start = Math.floor(rand() * 1e13);
    const k = windowedKey(randomValue(rand, 1), { start, end: start + Math.floor(rand() * 1e6) });
    assert.equal(encodeWindowedKey(k), canonicalJson(k), `key ${i}`);
  }
});

test('windowedKeyJson from an encoded key equals canonicalJson, windows alternating', () => {
  const rand = seeded(12);
  const windows = [
    { start: 0, end: 60_000 },
    { start: 60_000, end: 120_000 },
    { start: 60_000, end: 90_000 },
  ];
  for (let i = 0; i < 2000; i++) {
    // repeats and changes of window, as a task's records bring them
    const window = windows[Math.floor(rand() * windows.length)]!;
    const key = randomValue(rand, 1);
    const expected = canonicalJson(windowedKey(key, window));
    const keyJson = keyJsonOf(key, encodeKey(key));
    if (key === undefined) assert.equal(keyJson, undefined);
    else assert.equal(windowedKeyJson(keyJson!, window), expected, `key ${i}`);
  }
});
