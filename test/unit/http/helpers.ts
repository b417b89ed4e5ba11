// Fixtures for the HTTP tests: a MemoryStateSource over PARTITIONS partitions with `n` balances rows, a
// composite-key table and a stream projection, and keys chosen to live in a given partition.
import { encodeKey } from '../../../projections/keys.ts';
import { MemoryStateSource } from '../../../runtime/http/memory-state-source.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';

export const PARTITIONS = 4;

/** A source with `n` balances rows (keys k0000…), a composite-key table and a stream projection. */
export function sampleSource(n = 0, local?: number[]): MemoryStateSource {
  const s = new MemoryStateSource({
    projections: { balances: {}, by_day: {}, events: { kind: 'stream' } },
    partitions: PARTITIONS,
    local,
  });
  for (let i = 0; i < n; i++) s.put('balances', key(i), { balance: i }, { offset: i, updatedAt: 1000 + i });
  s.put('by_day', { customerId: 'c1', day: 3 }, { total: 30 });
  return s;
}

export const key = (i: number) => `k${String(i).padStart(4, '0')}`;

/** A key (k0000…) that lives in `partition`. */
export function keyIn(partition: number): string {
  for (let i = 0; ; i++) if (partitionOfKey(encodeKey(key(i)), PARTITIONS) === partition) return key(i);
}
