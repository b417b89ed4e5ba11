// LevelDB write batches for bulk writes (restores, commits) without abstract-level's work per
// operation: its chained batch validates, copies the operation into an object, runs hooks and
// encodes key and value for every put, about a quarter of a put's cost for a string key and a
// Buffer value (a restore writes a million of them). Here the first operation goes through the
// public chained batch, so its bookkeeping (length, status, close on write or error) stays right,
// and the rest go straight to the native batch classic-level's own _put() calls. Keys are
// strings (the database's utf8 encoding passes them through) and values Buffers, as the native
// side takes them.
//
// classic-level's binding and the batch's context symbol are internals: they are checked once,
// and without them every operation takes the public path.
import { createRequire } from 'node:module';
import type { ClassicLevel } from 'classic-level';

type Native = {
  batch_put(context: unknown, key: string, value: Buffer): void;
  batch_del(context: unknown, key: string): void;
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
