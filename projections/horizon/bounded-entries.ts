// Entries of a store kept within a horizon of the last N written: each new entry is numbered, and
// the entry written N puts earlier is deleted. The numbering lives in the same store, so it is
// changelogged, restored and committed with the entries themselves:
//   h/<seq> → the key written seq-th;  n → the next seq.
// Callers own every other key (they must not start with `h/` nor be `n`). Used by the command
// outcomes (runtime/commands/outcome-store.ts) and the appends first-writer-wins rejected
// (first-writer-wins/rejected-appends.ts).
import type { KeyValueStore } from '../store.ts';

const seqKey = (seq: number) => `h/${String(seq).padStart(12, '0')}`;

export class BoundedEntries<V> {
  constructor(
    private readonly store: KeyValueStore<unknown>,
    readonly horizon: number,
  ) {}

  get(key: string): V | undefined {
    return this.store.get(key) as V | undefined;
  }

  /**
   * Writes an entry and deletes the one that fell out of the horizon; returns the deleted entry
   * (its key and value), if any.
   */
  put(key: string, value: V): { key: string; value: V } | undefined {
    const seq = (this.store.get('n') as number | undefined) ?? 0;
    this.store.put(key, value);
    this.store.put(seqKey(seq), key);
    this.store.put('n', seq + 1);
    if (seq < this.horizon) return undefined;
    const old = seqKey(seq - this.horizon);
    const oldKey = this.store.get(old) as string | undefined;
    this.store.delete(old);
    if (oldKey === undefined || oldKey === key) return undefined;
    const forgotten = this.store.get(oldKey) as V | undefined;
    this.store.delete(oldKey);
    return forgotten === undefined ? undefined : { key: oldKey, value: forgotten };
  }
}
