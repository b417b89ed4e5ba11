// kafkajs 2.2.4 sets a negative timer when a connection's request queue first schedules its check of
// pending requests: `throttledUntil` starts at -1, so the delay is `-1 - Date.now()` (kafkajs issue
// #1751, open upstream). Node has always run such a timer after 1 ms; Node 24 also prints a
// three-line TimeoutNegativeWarning for it, on every connection, which buries real warnings and
// breaks one-line CLI errors.
//
// This patch gives RequestQueue.scheduleCheckPendingRequests the delay Node would have used: at
// least 1 ms. Nothing else changes. It patches the class's prototype, so it works whether or not
// kafkajs was loaded first; `requestQueuePatched` says whether the method had the expected shape.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The fields of kafkajs' RequestQueue that its schedule reads and writes. */
export interface RequestQueueState {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL: the delay while requests wait and nothing throttles. */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

/** The same schedule as kafkajs 2.2.4's, with the delay clamped to Node's own minimum of 1 ms. */
export function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0 && !(scheduleAt > 0)) scheduleAt = CHECK_PENDING_REQUESTS_INTERVAL;
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    Math.max(1, scheduleAt),
  );
}

/** The method as kafkajs 2.2.4 ships it, whitespace removed: a different one is left alone. */
export const EXPECTED_ORIGINAL =
  'scheduleCheckPendingRequests(){letscheduleAt=this.throttledUntil-Date.now()if(!this.throttleCheckTimeoutId){if(this.pending.length>0){scheduleAt=scheduleAt>0?scheduleAt:CHECK_PENDING_REQUESTS_INTERVAL}this.throttleCheckTimeoutId=setTimeout(()=>{this.throttleCheckTimeoutId=nullthis.checkPendingRequests()},scheduleAt)}}';

function withoutComments(source: string): string {
  return source.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, '');
}

/** True when kafkajs' RequestQueue had the expected method and now schedules with the clamp. */
export const requestQueuePatched: boolean = (() => {
  try {
    const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
      prototype: RequestQueueState & { scheduleCheckPendingRequests(): void };
    };
    // read to compare its source, never called unbound
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = RequestQueue.prototype.scheduleCheckPendingRequests;
    if (original === scheduleCheckPendingRequests) return true;
    if (withoutComments(original.toString()) !== EXPECTED_ORIGINAL) return false;
    RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
    return true;
  } catch {
    return false;
  }
})();
