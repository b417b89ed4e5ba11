// Key encoding: one deterministic string per key, used for store keys and Kafka record keys.
// Strings are written as they are; every other value (numbers, booleans, composite-key objects)
// as JSON, object fields in the order the projection declares them (its groupBy order).

export function encodeKey(key: unknown): string {
  return typeof key === 'string' ? key : JSON.stringify(key);
}
