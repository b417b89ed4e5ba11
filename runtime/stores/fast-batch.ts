// LevelDB write batches for bulk writes (restores, commits) without abstract-level's work per
// operation: its chained batch validates, copies the operation into an object, runs hooks and
// encodes key and value for every put, about a quarter of a put's cost for a string key and a
// Buffer value (a restore writes a million of them). Here the first operation goes through the
// public chained batch, so its bookkeeping (length, status, close on write or error) stays right,
// and the rest go straight to the native batch classic-level's own _put() calls. Keys are
// strings (the database's utf8 encoding passes them through) or their UTF-8 bytes, and values
// Buffers, as the native side takes them.
//
// A restore hands keys and values over as byte ranges of the fetch response (putBytes): the key's
// text is never decoded only for the binding to encode it again.
//
// classic-level's binding and the batch's context symbol are internals: they are checked once,
// and without them every operation takes the public path.
import { createRequire } from 'node:module';
import type { ClassicLevel } from 'classic-level';

type Native = {
  batch_put(context: unknown, key: string | Buffer, value: Buffer): void;
  batch_del(context: unknown, key: string | Buffer): void;
};
type ChainedBatch = ReturnType<ClassicLevel<string, Buffer>['batch']>;

const native = loadNative();
/** Whether operations after the first go straight to the native batch (false: classic-level changed). */
export const nativeBatches = native !== undefined;

function loadNative(): Native | undefined {
  try {
    const require = createRequire(createRequire(import.meta.url).resolve('classic-level'));
    const binding = require('./binding') as Partial<Native>;
    if (typeof binding.batch_put !== 'function' || typeof binding.batch_del !== 'function') return undefined;
    return binding as Native;
  } catch {
    return undefined;
  }
}

export class FastBatch {
  private readonly batch: ChainedBatch;
  private context: unknown;
  private empty = true;

  constructor(db: ClassicLevel<string, Buffer>) {
    this.batch = db.batch();
  }

  put(key: string, value: Buffer): void {
    if (this.context !== undefined) native!.batch_put(this.context, key, value);
    else this.first(key, value);
  }

  del(key: string): void {
    if (this.context !== undefined) native!.batch_del(this.context, key);
    else this.first(key, null);
  }

  /**
   * put(), with the key `prefix` followed by `keyLength` bytes of `bytes` at `keyStart`, and the
   * value `valueLength` bytes at `valueStart`: a restore's changelog record as it lies in the fetch
   * response. The native batch copies both at once, so they pass through reused scratch buffers
   * (no key text decoded and encoded again, no object per record).
   */
  putBytes(
    prefix: Buffer,
    bytes: Buffer,
    keyStart: number,
    keyLength: number,
    valueStart: number,
    valueLength: number,
  ): void {
    if (this.context === undefined) {
      const value = Buffer.from(bytes.subarray(valueStart, valueStart + valueLength));
      return this.put(textKey(prefix, bytes, keyStart, keyLength), value);
    }
    const value =
      valueLength <= SMALL_VALUE
        ? valueScratch.copyOf(bytes, valueStart, valueLength)
        : bytes.subarray(valueStart, valueStart + valueLength);
    native!.batch_put(this.context, keyScratch.joined(prefix, bytes, keyStart, keyLength), value);
  }

  /** del() of the key `prefix` followed by `keyLength` bytes of `bytes` at `keyStart`. */
  delBytes(prefix: Buffer, bytes: Buffer, keyStart: number, keyLength: number): void {
    if (this.context === undefined) return this.del(textKey(prefix, bytes, keyStart, keyLength));
    native!.batch_del(this.context, keyScratch.joined(prefix, bytes, keyStart, keyLength));
  }

  async write(): Promise<void> {
    if (this.empty) return this.batch.close();
    await this.batch.write();
  }

  /** Closes the batch unwritten. */
  async discard(): Promise<void> {
    await this.batch.close();
  }

  private first(key: string, value: Buffer | null): void {
    if (value === null) this.batch.del(key);
    else this.batch.put(key, value);
    this.empty = false;
    this.context = native ? contextOf(this.batch) : undefined;
  }
}

function contextOf(batch: ChainedBatch): unknown {
  const symbol = Object.getOwnPropertySymbols(batch).find((s) => s.description === 'context');
  return symbol ? (batch as unknown as Record<symbol, unknown>)[symbol] : undefined;
}

const textKey = (prefix: Buffer, bytes: Buffer, start: number, length: number) =>
  prefix.toString('utf8') + bytes.toString('utf8', start, start + length);

/** Values up to this size are copied into scratch; larger ones are passed as views (one copy fewer). */
const SMALL_VALUE = 512;

/**
 * A reused buffer for handing bytes to the native batch, which copies them during the call: a view
 * of its first n bytes is made once per length, so a record costs no allocation. Keys and values
 * have one each (both are passed in one call).
 */
class Scratch {
  private buf = Buffer.allocUnsafe(1024);
  private views: Buffer[] = [];
  /** The prefix at the start of `buf`, so a run of keys of one store copies it once. */
  private prefix: Buffer | undefined;

  /** `prefix` followed by bytes[start, start + length). */
  joined(prefix: Buffer, bytes: Buffer, start: number, length: number): Buffer {
    const n = prefix.length + length;
    this.reserve(n);
    if (this.prefix !== prefix) {
      prefix.copy(this.buf, 0);
      this.prefix = prefix;
    }
    copyBytes(bytes, start, length, this.buf, prefix.length);
    return this.view(n);
  }

  copyOf(bytes: Buffer, start: number, length: number): Buffer {
    this.reserve(length);
    this.prefix = undefined;
    copyBytes(bytes, start, length, this.buf, 0);
    return this.view(length);
  }

  private reserve(n: number): void {
    if (n <= this.buf.length) return;
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
    this.views = [];
    this.prefix = undefined;
  }

  private view(n: number): Buffer {
    return (this.views[n] ??= this.buf.subarray(0, n));
  }
}

/** A byte loop: for the few dozen bytes of a key or value, cheaper than Buffer#copy's call. */
function copyBytes(from: Buffer, start: number, length: number, to: Buffer, at: number): void {
  if (length > 64) {
    from.copy(to, at, start, start + length);
    return;
  }
  for (let i = 0; i < length; i++) to[at + i] = from[start + i]!;
}

const keyScratch = new Scratch();
const valueScratch = new Scratch();
