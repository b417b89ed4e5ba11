// Record formats: source keys as strings or JSON, tombstones, classified decode failures, projection keys of
// any type round-tripping through the key-format header, Kafka Streams' binary windowed keys, and exchange
// records' event time taken from the value.
import assert from 'node:assert/strict';
import { parseBinaryWindowedKey } from '../../../projections/windows/keys.ts';
import { describe, it } from 'node:test';
import {
  DecodeFailure,
  decoderFor,
  encodeExchangeRecord,
  encodeProjectionRecord,
  KEY_FORMAT_HEADER,
  type RawRecord,
} from '../../../runtime/formats/index.ts';

const raw = (key: string | null, value: string | null, headers?: Record<string, string>): RawRecord => ({
  topic: 't',
  partition: 2,
  offset: 7,
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: 1000,
  headers,
});

describe('decoderFor', () => {
  it('reads source keys as strings by default and as JSON when asked', () => {
    assert.equal(decoderFor({ role: 'source' }).decode(raw('42', '{"a":1}')).key, '42');
    assert.equal(decoderFor({ role: 'source', keyFormat: 'json' }).decode(raw('42', '{"a":1}')).key, 42);
    const r = decoderFor({ role: 'source' }).decode(raw('k', '{"a":1}'));
    assert.deepEqual([r.value, r.partition, r.offset, r.timestamp], [{ a: 1 }, 2, 7, 1000]);
  });

  it('keeps a null value as a tombstone', () => {
    assert.equal(decoderFor({ role: 'source' }).decode(raw('k', null)).value, null);
  });

  it('classifies what does not decode', () => {
    assert.throws(
      () => decoderFor({ role: 'source' }).decode(raw('k', '{nope')),
      (e: unknown) => e instanceof DecodeFailure && e.kind === 'value-not-json',
    );
    assert.throws(
      () => decoderFor({ role: 'source', keyFormat: 'json' }).decode(raw('{x', '{}')),
      (e: unknown) => e instanceof DecodeFailure && e.kind === 'key-not-json',
    );
  });

  it('round-trips projection keys of any type through the key-format header', () => {
    const d = decoderFor({ role: 'projection' });
    for (const key of ['c1', '7', 7, { customerId: 'c1', day: 3 }]) {
      const m = encodeProjectionRecord({ projection: 'p', key, value: { v: 1 }, timestamp: 5 });
      const back = d.decode({
        ...raw(m.key as string | null, m.value!.toString('utf8'), m.headers),
        timestamp: Number(m.timestamp),
      });
      assert.deepEqual(back.key, key);
      assert.equal(back.timestamp, 5);
    }
    const tomb = encodeProjectionRecord({ projection: 'p', key: { a: 1 }, value: null, timestamp: 5 });
    assert.deepEqual([tomb.key, tomb.value, tomb.headers?.[KEY_FORMAT_HEADER]], ['{"a":1}', null, 'json']);
  });

  it("writes Kafka Streams' binary windowed keys when asked, JSON windowed keys by default", () => {
    const window = { start: 1_700_000_040_000, end: 1_700_000_100_000 };
    const record = { projection: 'p', key: { key: 'c1', window }, value: { n: 1 }, timestamp: 5 };
    const json = encodeProjectionRecord(record);
    assert.equal(json.key, '{"key":"c1","window":{"end":1700000100000,"start":1700000040000}}');
    const time = encodeProjectionRecord(record, 'tumbling').key as Buffer;
    // "c1", then the start as a big-endian long: what TimeWindowedDeserializer reads
    assert.equal(time.toString('hex'), `6331${window.start.toString(16).padStart(16, '0')}`);
    const parsed = parseBinaryWindowedKey(time, 'tumbling', 60_000);
    assert.equal(Buffer.from(parsed.keyBytes).toString(), 'c1');
    assert.deepEqual(parsed.window, window);
    const session = encodeProjectionRecord({ ...record, value: null }, 'session');
    const bytes = session.key as Buffer;
    // sessions: end, then start (SessionWindowedDeserializer); a tombstone stays a tombstone
    assert.equal(bytes.readBigInt64BE(2), BigInt(window.end));
    assert.equal(bytes.readBigInt64BE(10), BigInt(window.start));
    assert.equal(session.value, null);
    // a composite group key is its canonical JSON, as everywhere else
    const composite = encodeProjectionRecord({ ...record, key: { key: { a: 1 }, window } }, 'hopping');
    assert.equal((composite.key as Buffer).subarray(0, 7).toString(), '{"a":1}');
  });

  it("takes an exchange record's event time from its value, not the wall-clock record timestamp", () => {
    const m = encodeExchangeRecord('k', { k: 'k', t: 123, c: [1] }, 999_999);
    assert.equal(m.timestamp, '999999');
    const r = decoderFor({ role: 'exchange' }).decode({
      ...raw(m.key as string, m.value!.toString('utf8')),
      timestamp: 999_999,
    });
    assert.equal(r.timestamp, 123);
    assert.deepEqual(r.value, { k: 'k', t: 123, c: [1] });
  });
});
