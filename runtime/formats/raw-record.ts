// A record as it comes off Kafka, before decoding: what a dead-letter record must carry.
export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** ms since the epoch */
  timestamp: number;
  headers?: Record<string, string>;
}

/** kafkajs header values are Buffer | string | arrays of them; the runtime only uses text headers. */
export function textHeaders(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const last = Array.isArray(v) ? v.at(-1) : v;
    if (last === undefined) continue;
    out[k] = typeof last === 'string' ? last : last.toString('utf8');
    any = true;
  }
  return any ? out : undefined;
}
