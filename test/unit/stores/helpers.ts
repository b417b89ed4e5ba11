// Shared setup for store tests: a TaskStores in a fresh temporary directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskStores, type TaskStoresOptions } from '../../../runtime/stores/index.ts';

export const changelogOf = (store: string) => ({ topic: `app-${store}-changelog`, partition: 3 });

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'streamfold-stores-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function openStores(location: string, extra: Partial<TaskStoresOptions> = {}): Promise<TaskStores> {
  return TaskStores.open({ location, changelogOf, ...extra });
}

/** Offsets as a broker would acknowledge them: each changelog partition advanced by its record count. */
export function acknowledged(
  records: Array<{ topic: string; partition: number }>,
  base: Map<string, number>,
): Map<string, number> {
  const next = new Map(base);
  for (const r of records) {
    const k = `${r.topic}:${r.partition}`;
    next.set(k, (next.get(k) ?? 0) + 1);
  }
  return next;
}

export async function collect<V>(it: AsyncIterable<[string, V]>): Promise<Array<[string, V]>> {
  const out: Array<[string, V]> = [];
  for await (const e of it) out.push(e);
  return out;
}
