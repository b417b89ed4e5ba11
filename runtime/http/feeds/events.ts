// The Server-Sent Events a change feed writes (docs/http.md, "Change feeds"), as text frames.
// Every frame that moves the stream's position carries it as its `id`, so Last-Event-ID resumes it.
import type { ChangelogEntry } from '../../kafka/restore/changelog-source.ts';
import { formatPositions, type Positions } from './positions.ts';

/** Why the server ended a stream (the `end` event's `reason`). */
export type CutOffReason = 'slow_consumer' | 'shutting_down' | 'feed_failed';

export const CUT_OFF_TEXTS: Record<CutOffReason, string> = {
  slow_consumer: 'the client reads more slowly than changes arrive: its unsent events passed the limit',
  shutting_down: 'the instance is stopping; reconnect (to another instance) with Last-Event-ID',
  feed_failed: 'reading the output topic failed; reconnect with Last-Event-ID',
};

export interface Change {
  key: string | null;
  /** The row (parsed JSON); null with `deleted` for a tombstone. */
  value: unknown;
  deleted: boolean;
  partition: number;
  offset: number;
  timestamp: number | null;
}

export function toChange(partition: number, r: ChangelogEntry): Change {
  return {
    key: r.key,
    value: r.value === null ? null : parseValue(r.value),
    deleted: r.value === null,
    partition,
    offset: r.offset,
    timestamp: r.timestamp ?? null,
  };
}

/** Output values are JSON; a registry-encoded one (Avro, Protobuf) is passed on as base64. */
function parseValue(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return { base64: value.toString('base64') };
  }
}

export function frame(event: string, data: unknown, positions?: Positions): string {
  const id = positions ? `id: ${formatPositions(positions)}\n` : '';
  return `${id}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function cutOffFrame(reason: CutOffReason): string {
  return frame('end', { reason, text: CUT_OFF_TEXTS[reason] });
}
