// A task's output between commits: one record per table key (the latest, like Kafka Streams' record cache),
// every stream and exchange record in order, nothing for projections without a topic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputBuffer } from '../../../runtime/tasks/output-buffer.ts';

const projections = new Map([
  ['totals', { topic: 'app-totals', kind: 'table' as const }],
  ['events', { topic: 'app-events', kind: 'stream' as const }],
  ['hidden', { topic: null, kind: 'table' as const }],
]);

describe('OutputBuffer', () => {
  it('keeps one record per table key (the latest), like a record cache', () => {
    const b = new OutputBuffer(projections);
    for (let i = 1; i <= 1000; i++)
      b.emit({ projection: 'totals', key: 'hot', value: { n: i }, timestamp: i });
    b.emit({ projection: 'totals', key: 'cold', value: { n: 1 }, timestamp: 1 });
    b.emit({ projection: 'totals', key: 'cold', value: null, timestamp: 2 });
    assert.equal(b.size, 2);
    const [totals] = b.drain();
    assert.equal(totals!.topic, 'app-totals');
    assert.deepEqual(
      totals!.messages.map((m) => [m.key, m.value?.toString() ?? null, m.timestamp]),
      [
        ['hot', '{"n":1000}', '1000'],
        ['cold', null, '2'],
      ],
    );
    assert.equal(b.size, 0);
    assert.deepEqual(b.drain(), []);
  });

  it('appends every stream record and every exchange record, in order', () => {
    const b = new OutputBuffer(projections);
    b.emit({ projection: 'events', key: 'k', value: { i: 1 }, timestamp: 1 });
    b.emit({ projection: 'events', key: 'k', value: { i: 2 }, timestamp: 2 });
    b.send('app-x-repartition', 'g1', { k: 'g1', t: 5 });
    b.send('app-x-repartition', 'g1', { k: 'g1', t: 6 });
    const out = new Map(b.drain().map((t) => [t.topic, t.messages]));
    assert.deepEqual(
      out.get('app-events')!.map((m) => m.value!.toString()),
      ['{"i":1}', '{"i":2}'],
    );
    assert.deepEqual(
      out.get('app-x-repartition')!.map((m) => m.value!.toString()),
      ['{"k":"g1","t":5}', '{"k":"g1","t":6}'],
    );
  });

  it('drops records of projections without a topic, and clear() forgets everything', () => {
    const b = new OutputBuffer(projections);
    b.emit({ projection: 'hidden', key: 'k', value: { a: 1 }, timestamp: 1 });
    assert.equal(b.size, 0);
    b.emit({ projection: 'totals', key: 'k', value: { a: 1 }, timestamp: 1 });
    b.clear();
    assert.deepEqual(b.drain(), []);
  });
});
