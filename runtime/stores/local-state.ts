// What a task database leaves on disk for the group's assignor, beside `<stateDir>/<application>/<task>/`:
// the offset sum of its last close, and the listing of the tasks whose databases are here.
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Beside each task database, written when it closes: the sum of its checkpoints' changelog offsets
 * (Kafka Streams' task offset sums), deleted when it opens. The group's assignor gives a task nobody
 * runs to the member whose copy is the furthest along, without opening any database.
 */
const offsetsFile = (location: string) => `${location}.offsets`;

/** When a database closes: its offset sum beside it (best effort: without it the sum counts as 0). */
export async function leaveOffsetSum(location: string, sum: number): Promise<void> {
  await writeFile(offsetsFile(location), String(sum)).catch(() => undefined);
}

/** When a database opens or is destroyed: from here on it moves past any sum left beside it. */
export async function forgetOffsetSum(location: string): Promise<void> {
  await rm(offsetsFile(location), { force: true });
}

/**
 * The tasks with a database under `<stateDir>/<application>`, each with the offset sum its last
 * close left (0 when it did not close cleanly). Synchronous: the assignor reads it while it builds
 * a subscription.
 */
export function tasksWithLocalState(stateDir: string, application: string): Map<number, number> {
  const out = new Map<number, number>();
  const dir = join(stateDir, application);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out; // no state directory yet
  }
  for (const e of entries) {
    if (!e.isDirectory() || !/^\d+$/.test(e.name)) continue;
    let sum = 0;
    try {
      sum = Number(readFileSync(offsetsFile(join(dir, e.name)), 'utf8')) || 0;
    } catch {
      // open now, or it did not close cleanly
    }
    out.set(Number(e.name), sum);
  }
  return out;
}
