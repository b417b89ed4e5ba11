// Reading history: the value of one key as of an event time, from any StoreProvider (the pure
// executor's memory stores, or a runtime task's LevelDB stores).
import { names } from '../graph/names.ts';
import type { StoreProvider } from '../store.ts';
import { type AsOf, versionAsOf } from './layout.ts';

/** The row of `encodedKey` (encodeKey) in `projection` as of event time `t` (ms, inclusive). */
export function readAsOf(
  stores: StoreProvider,
  app: string,
  projection: string,
  encodedKey: string,
  t: number,
): AsOf {
  return versionAsOf(stores.store(names.historyStore(app, projection)), encodedKey, t);
}
