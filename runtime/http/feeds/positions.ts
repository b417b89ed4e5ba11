// Feed positions: per partition of a projection's output topic, the next offset to read. They are
// the SSE event id (`0:120,1:98,2:143`), so a client that reconnects with Last-Event-ID resumes
// exactly after the last event it saw, on every partition at once, without gaps or repeats.

export type Positions = Map<number, number>;

export function formatPositions(positions: Positions): string {
  return [...positions]
    .sort(([a], [b]) => a - b)
    .map(([p, o]) => `${p}:${o}`)
    .join(',');
}

/**
 * Parses a Last-Event-ID against the topic's partition count. Returns a reason (text) when it is
 * not one position per partition: the reason is a fixed text, never the input.
 */
export function parsePositions(text: string, partitions: number): Positions | string {
  if (!/^[0-9]{1,7}:[0-9]{1,16}(,[0-9]{1,7}:[0-9]{1,16})*$/.test(text))
    return 'invalid Last-Event-ID: write partition:offset pairs separated by commas';
  const positions: Positions = new Map();
  for (const pair of text.split(',')) {
    const [p, o] = pair.split(':').map(Number) as [number, number];
    if (positions.has(p)) return 'invalid Last-Event-ID: a partition appears twice';
    if (p >= partitions || !Number.isSafeInteger(o))
      return 'invalid Last-Event-ID: a partition or offset is out of range';
    positions.set(p, o);
  }
  if (positions.size !== partitions) return 'invalid Last-Event-ID: it must name every partition';
  return positions;
}
