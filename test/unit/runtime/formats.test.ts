import assert from 'node:assert/strict';
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
        ...raw(m.key, m.value!.toString('utf8'), m.headers),
        timestamp: Number(m.timestamp),
      });
      assert.deepEqual(back.key, key);
      assert.equal(back.timestamp, 5);
    }
    const tomb = encodeProjectionRecord({ projection: 'p', key: { a: 1 }, value: null, timestamp: 5 });
    assert.deepEqual([tomb.key, tomb.value, tomb.headers?.[KEY_FORMAT_HEADER]], ['{"a":1}', null, 'json']);
  });

  it("takes an exchange record's event time from its value, not the wall-clock record timestamp", () => {
    const m = encodeExchangeRecord('k', { k: 'k', t: 123, c: [1] }, 999_999);
    assert.equal(m.timestamp, '999999');
    const r = decoderFor({ role: 'exchange' }).decode({
      ...raw(m.key, m.value!.toString('utf8')),
      timestamp: 999_999,
    });
    assert.equal(r.timestamp, 123);
    assert.deepEqual(r.value, { k: 'k', t: 123, c: [1] });
  });
});
