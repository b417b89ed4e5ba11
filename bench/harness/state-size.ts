// State left after a run, for the windowed scenarios (f) and (g), where retention bounds it: the bytes of
// the contender's state directory on disk (streamfold: LevelDB per task; Kafka Streams: RocksDB segments,
// checkpoints), and for streamfold the live keys of each store, read from its LevelDB databases once the
// process has stopped. LevelDB keeps deleted keys' tombstones on disk until it compacts, so its bytes lag
// behind its live keys; Kafka Streams drops whole expired segments.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

export interface StateSize {
  bytes: number;
  /** streamfold: live keys per store name (without the `<application>-` prefix), summed over tasks. */
  keysByStore?: Record<string, number>;
}

/** Bytes of every file under `dir` (0 when it does not exist). */
export function directoryBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Directories under `dir` that hold a LevelDB database (a CURRENT file). */
function levelDatabases(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (existsSync(join(dir, 'CURRENT'))) return [dir];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => levelDatabases(join(dir, e.name)));
}

// streamfold's task database layout (runtime/stores/key-spaces.ts): `d\0<store>\0<key>` per store row
const ROW_PREFIX = 'd\u0000';

/** Live keys per store in every streamfold task database under `dir` (the process must have stopped). */
export async function levelKeysByStore(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const location of levelDatabases(dir)) {
    const db = new ClassicLevel<string, Buffer>(location, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    await db.open();
    try {
      for await (const key of db.keys({ gt: ROW_PREFIX, lt: 'd\u0001' })) {
        const store = key.slice(ROW_PREFIX.length, key.indexOf('\u0000', ROW_PREFIX.length));
        // the application name has no '-' (the bench makes it of [A-Za-z0-9_])
        const name = store.slice(store.indexOf('-') + 1);
        out[name] = (out[name] ?? 0) + 1;
      }
    } finally {
      await db.close();
    }
  }
  return out;
}

export async function measureState(dir: string, countLevelKeys: boolean): Promise<StateSize> {
  const bytes = directoryBytes(dir);
  return countLevelKeys ? { bytes, keysByStore: await levelKeysByStore(dir) } : { bytes };
}
