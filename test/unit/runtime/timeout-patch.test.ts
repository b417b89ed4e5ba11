// The request queue timeout patch: a new connection's check is scheduled after 1 ms, never a negative
// delay (Node 24 warns about those); pending and throttled queues keep kafkajs' delays.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import {
  requestQueuePatched,
  scheduleCheckPendingRequests,
} from '../../../runtime/kafka/patches/timeout/index.ts';

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js');

// Fails when a kafkajs upgrade changes the method: then re-check whether the patch is still needed.
test('the patch recognises kafkajs 2.2.4 and is in effect', () => {
  assert.equal(requestQueuePatched, true);
  assert.equal(RequestQueue.prototype.scheduleCheckPendingRequests, scheduleCheckPendingRequests);
});

/** Runs the schedule on a queue in `state` and returns the delays it gave setTimeout. */
function delaysFor(state: { throttledUntil: number; pending: unknown[] }): number[] {
  const delays: number[] = [];
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    delays.push(ms);
    return original(() => {}, 0);
  }) as typeof setTimeout;
  try {
    const queue = { ...state, throttleCheckTimeoutId: null, checkPendingRequests() {} };
    scheduleCheckPendingRequests.call(queue);
    scheduleCheckPendingRequests.call(queue); // already scheduled: no second timer
  } finally {
    globalThis.setTimeout = original;
  }
  return delays;
}

test('a new queue (throttledUntil -1) schedules after 1 ms, never a negative delay', () => {
  assert.deepEqual(delaysFor({ throttledUntil: -1, pending: [] }), [1]);
});

test('pending requests without throttling are checked every 10 ms, as in kafkajs', () => {
  assert.deepEqual(delaysFor({ throttledUntil: -1, pending: [{}] }), [10]);
});

test('a throttled queue waits until the throttle ends, as in kafkajs', () => {
  const [delay] = delaysFor({ throttledUntil: Date.now() + 5_000, pending: [{}] });
  assert.ok(delay! > 4_900 && delay! <= 5_000, String(delay));
});
