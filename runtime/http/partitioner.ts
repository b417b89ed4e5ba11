// Which partition a key lives in: Kafka's default partitioner (murmur2 over the key bytes, made
// positive, modulo the partition count), the same as kafkajs' DefaultPartitioner and the Java
// client. The engine keys records by encodeKey(key), so the bytes hashed are its UTF-8 encoding.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Java-compatible murmur2 (org.apache.kafka.common.utils.Utils.murmur2) of data's first `length` bytes: a signed 32-bit int. */
export function murmur2(data: Uint8Array, length = data.length): number {
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  // The tail bytes, as Java's switch falls through from case 3 to case 1.
  const rest = length % 4;
  if (rest >= 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of an encoded key among `partitions` (Kafka's toPositive(murmur2) % n). */
export function partitionOfKey(encodedKey: string, partitions: number): number {
  return (murmur2OfText(encodedKey) & 0x7fffffff) % partitions;
}

/** Reused for ASCII keys: every output record is partitioned, and most keys are short ASCII text. */
const asciiBytes = new Uint8Array(256);

/** murmur2 of a string's UTF-8 bytes. ASCII text is hashed from its char codes, with no Buffer per key. */
export function murmur2OfText(text: string): number {
  const n = text.length;
  if (n > asciiBytes.length) return murmur2(Buffer.from(text, 'utf8'));
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return murmur2(Buffer.from(text, 'utf8'));
    asciiBytes[i] = c;
  }
  return murmur2(asciiBytes, n);
}
