// The key layout inside one task's LevelDB. Each named store owns a key space, so one store can
// be cleared and restored alone; checkpoints live in their own space and are written in the same
// atomic batch as the state they describe.
//
//   d\0<store>\0<key>   a store row (value: encoded value bytes)
//   c\0<store>          the store's changelog checkpoint (value: JSON Checkpoint)
//   m\0layout           layout version of this database

const SEP = '\u0000';

export const LAYOUT_KEY = `m${SEP}layout`;
export const LAYOUT_VERSION = '1';

export function assertStoreName(name: string): void {
  if (name.length === 0 || name.includes(SEP)) throw new Error(`invalid store name ${JSON.stringify(name)}`);
}

/** Prefix of every row of `store`. */
export function dataPrefix(store: string): string {
  return `d${SEP}${store}${SEP}`;
}

/** First key after the whole key space of `store` ('\u0001' sorts right after the separator). */
export function dataEnd(store: string): string {
  return `d${SEP}${store}\u0001`;
}

export function checkpointKey(store: string): string {
  return `c${SEP}${store}`;
}

export const CHECKPOINT_PREFIX = `c${SEP}`;
export const CHECKPOINT_END = 'c\u0001';
