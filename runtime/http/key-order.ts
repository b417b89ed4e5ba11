// Rows are ordered by the UTF-8 bytes of their encoded keys, LevelDB's order, on every instance,
// so pages merged from several owners and cursors compare the same everywhere.
import { compareUtf8 } from '../stores/cached-store.ts';

export { compareUtf8 };

/** Whether an encoded key is inside a scan range (prefix, from ≤ key < to, key > after). */
export function inScanRange(
  key: string,
  r: { prefix?: string; from?: string; to?: string; after?: string },
): boolean {
  if (r.prefix !== undefined && !key.startsWith(r.prefix)) return false;
  if (r.from !== undefined && compareUtf8(key, r.from) < 0) return false;
  if (r.to !== undefined && compareUtf8(key, r.to) >= 0) return false;
  if (r.after !== undefined && compareUtf8(key, r.after) <= 0) return false;
  return true;
}
