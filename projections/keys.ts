// Key encoding: one deterministic string per key, used for store keys, Kafka record keys and
// fixture tables. Strings are written as they are; every other value (numbers, booleans,
// composite-key objects) as canonical JSON: object fields sorted, no whitespace.
//
// canonicalJson runs for every record with a composite or windowed key (output collapsing, record
// keys), so it builds one string with no intermediate arrays and sorts an object's fields only when
// they are not in order already (they usually are: keys are built field by field in one order).

export function encodeKey(key: unknown): string {
  return typeof key === 'string' ? key : canonicalJson(key);
}

export function canonicalJson(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const fields = Object.keys(obj);
  if (!inOrder(fields)) fields.sort();
  let out = '{';
  for (const field of fields) {
    const v = obj[field];
    if (v === undefined) continue;
    out += `${out.length === 1 ? '' : ','}${quotedField(field)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

// Field names repeat (a few per key shape): quote each once. Bounded, in case names are data.
const quoted = new Map<string, string>();
function quotedField(field: string): string {
  let q = quoted.get(field);
  if (q === undefined) {
    q = JSON.stringify(field);
    if (quoted.size < 1024) quoted.set(field, q);
  }
  return q;
}

function inOrder(fields: string[]): boolean {
  for (let i = 1; i < fields.length; i++) if (fields[i - 1]! > fields[i]!) return false;
  return true;
}
