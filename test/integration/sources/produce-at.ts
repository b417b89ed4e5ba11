// Producing records to chosen partitions, as a producer that does not key by the entity key would
// place them (null keys spread by the sticky partitioner, other keys hashed): the records and the
// offsets they got, for tests of misrouted records.
import type { Definition } from '../../../projections/definition/schema.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { kafka } from '../helpers.ts';

export interface Placed {
  topic: string;
  partition: number;
  key: string | null;
  value: Record<string, unknown>;
  timestamp: number;
}

/** A record as bytes: any value, malformed ones included (null: a tombstone). */
export interface PlacedBytes {
  topic: string;
  partition: number;
  key: string | null;
  value: Buffer | null;
  timestamp: number;
}

/** Produces one record at a time (so offsets are known), in order; returns them with their offsets. */
export async function producePlaced<R extends PlacedBytes>(
  records: R[],
): Promise<Array<R & { offset: number }>> {
  const producer = kafka('streamfold-test-placed').producer({ idempotent: true });
  await producer.connect();
  try {
    const out: Array<R & { offset: number }> = [];
    for (const r of records) {
      const [ack] = await producer.send({
        topic: r.topic,
        messages: [{ partition: r.partition, key: r.key, value: r.value, timestamp: String(r.timestamp) }],
      });
      out.push({ ...r, offset: Number(ack!.baseOffset) });
    }
    return out;
  } finally {
    await producer.disconnect();
  }
}

/** Events (JSON values) at chosen partitions, with their offsets. */
export async function produceAt(records: Placed[]): Promise<Array<Placed & { offset: number }>> {
  const produced = await producePlaced(
    records.map((r) => ({ ...r, event: r.value, value: Buffer.from(JSON.stringify(r.value)) })),
  );
  return produced.map(({ event, value: _bytes, ...r }) => ({ ...r, value: event }));
}

/** The definition under another guarantee (and a short commit interval). */
export function withGuarantee(
  definition: Definition,
  guarantee: 'at_least_once' | 'exactly_once',
): Definition {
  return { ...definition, processing: { ...definition.processing, guarantee, commitIntervalMs: 100 } };
}

/**
 * The scenario: 100 deposits (amounts 1..100) for account zz without a message key, as a
 * null-key producer spread them: all on zz's own partition but amounts 40 and 77, on two others.
 */
export function strayDeposits(topic: string, partitions: number, t0: number): Placed[] {
  const home = partitionOfKey('zz', partitions);
  const out: Placed[] = [];
  for (let amount = 1; amount <= 100; amount++) {
    const partition =
      amount === 40 ? (home + 3) % partitions : amount === 77 ? (home + 5) % partitions : home;
    const value = { eventType: 'MoneyDeposited', accountId: 'zz', amount, eventId: `zz-${amount}` };
    out.push({ topic, partition, key: null, value, timestamp: t0 + amount });
  }
  return out;
}
