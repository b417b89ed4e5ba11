// A Bloom filter of the keys one store may hold: a write cache asks it before it reads LevelDB
// for a key it has not cached, and a "no" saves the read. Join buffers, new windows and new
// groups read mostly keys that are not there (their first event), and each such read costs a
// LevelDB lookup through every level's file and filter, behind a native call.
//
// It never forgets a key (a delete leaves it in), so it only errs towards "maybe": a superset of
// the store's keys. It grows by adding segments of twice the capacity, so it needs no size up
// front; the write cache rebuilds it from a scan once it has taken as many keys again as it was
// built with (cached-store.ts), so deleted keys do not pile up.
const BITS_PER_KEY = 10;
/** ~0.8% false positives at 10 bits per key (the optimum is 10 · ln 2 ≈ 7 probes). */
const PROBES = 7;

class Segment {
  readonly bits: Int32Array;
  readonly mask: number;
  count = 0;

  constructor(readonly capacity: number) {
    let size = 1024;
    while (size < capacity * BITS_PER_KEY) size *= 2;
    this.bits = new Int32Array(size / 32);
    this.mask = size - 1;
  }

  add(h1: number, h2: number): void {
    const bits = this.bits;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.count++;
  }

  has(h1: number, h2: number): boolean {
    const bits = this.bits;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

export class KeyFilter {
  private readonly segments: Segment[];
  /** Keys added, counting repeats. */
  added = 0;

  constructor(capacity: number) {
    this.segments = [new Segment(Math.max(1, Math.ceil(capacity)))];
  }

  add(key: string): void {
    hash(key);
    let last = this.segments[this.segments.length - 1]!;
    if (last.count >= last.capacity) this.segments.push((last = new Segment(last.capacity * 2)));
    last.add(h1, h2);
    this.added++;
  }

  /** False: the key was never added. True: it probably was. */
  mayContain(key: string): boolean {
    hash(key);
    for (const s of this.segments) if (s.has(h1, h2)) return true;
    return false;
  }

  /** Bytes of the bit arrays. */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.bits.byteLength;
    return n;
  }
}

// The two hashes of the last key (module state: no array per call), for double hashing.
let h1 = 0;
let h2 = 0;

/** Two 32-bit hashes of the key's UTF-16 units in one pass (FNV-1a and a multiplicative one), mixed. */
function hash(key: string): void {
  let a = 0x811c9dc5;
  let b = 0x27d4eb2f;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x9e3779b1) ^ (b >>> 15);
  }
  h1 = fmix(a);
  h2 = fmix(b ^ key.length) | 1; // odd: the probes of a power-of-two table then differ
}

/** MurmurHash3's finalizer: every input bit reaches every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
