// Key encoding: one deterministic string per key, used for store keys, Kafka record keys and
// fixture tables. Strings are written as they are; every other value (numbers, booleans,
// composite-key objects) as canonical JSON: object fields sorted, no whitespace.

export function encodeKey(key: unknown): string {
  return typeof key === 'string' ? key : canonicalJson(key);
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${parts.join(',')}}`;
}
