// The seats application of the first-writer-wins tests: a source whose events carry the seat's
// version in `seq` (`conflicts: first-writer-wins`), two projections reading it, and writers of their
// own (raw kafkajs producers, not streamfold) that append with Kafka's default partitioner.
import { Partitioners } from 'kafkajs';
import { stringify } from 'yaml';
import type { Definition } from '../../../projections/definition/schema.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { kafka, uniqueTopic } from '../helpers.ts';
import type { SeedEvent } from '../runtime/harness.ts';

export function seatsDefinition(prefix: string, guarantee: 'at_least_once' | 'exactly_once') {
  const app = uniqueTopic(prefix).replaceAll('-', '_');
  const topic = `${app}-seats`;
  const yaml = {
    application: app,
    processing: { guarantee },
    sources: {
      seats: {
        topic,
        key: 'seatId',
        eventType: 'eventType',
        time: 'timestamp',
        entityVersion: 'seq',
        conflicts: 'first-writer-wins',
      },
    },
    projections: {
      seat_holders: {
        from: 'seats',
        aggregate: {
          holder: { latest: { of: 'person', on: ['SeatReserved'] } },
          reserved: { latest: { SeatReserved: 'true', SeatReleased: 'false' } },
        },
      },
      // A second projection of the same source: it decides alike and does not report.
      seat_changes: {
        from: 'seats',
        aggregate: {
          changes: { sum: { SeatReserved: '1', SeatReleased: '1' } },
          last: { latest: { of: 'person', on: ['SeatReserved', 'SeatReleased'] } },
        },
      },
    },
  };
  const definition: Definition = parseConfig(stringify(yaml), 'fww.yaml', {});
  return { app, topic, definition };
}

let clock = 1_700_000_000_000;
export const seatEvent = (
  topic: string,
  seat: string,
  type: string,
  person: string,
  seq: number,
): SeedEvent => {
  clock += 10;
  return {
    topic,
    key: seat,
    timestamp: clock,
    value: { eventType: type, seatId: seat, person, seq, timestamp: clock },
  };
};

/** Where an append landed. */
export interface Appended {
  partition: number;
  offset: number;
}

/** A writer of its own: a raw kafkajs producer appending with the default partitioner. */
export async function writer(name: string) {
  const producer = kafka(name).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return {
    /** Appends in one request; resolves to where the first record of each partition landed. */
    append: async (events: SeedEvent[]): Promise<Appended[]> => {
      const meta = await producer.send({
        topic: events[0]!.topic,
        messages: events.map((e) => ({
          key: e.key,
          value: JSON.stringify(e.value),
          timestamp: String(e.timestamp),
        })),
      });
      return meta.map((m) => ({ partition: m.partition, offset: Number(m.baseOffset) }));
    },
    /** Appends one record whose value is `value` as it is (e.g. not JSON). */
    appendRaw: async (topic: string, key: string, value: string): Promise<Appended> => {
      const [m] = await producer.send({ topic, messages: [{ key, value }] });
      return { partition: m!.partition, offset: Number(m!.baseOffset) };
    },
    close: () => producer.disconnect(),
  };
}
