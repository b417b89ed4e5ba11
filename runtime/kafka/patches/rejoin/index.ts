// Asking the group for a new rebalance from a member (the probing rebalance of a member whose
// warm-up standbys caught up). kafkajs 2 has no `enforceRebalance()`; it re-joins when a heartbeat
// answers REBALANCE_IN_PROGRESS. So the next heartbeat of a member that asked answers that, without
// going to the broker: kafkajs' runner then re-joins (the consumer loop commits first, as for any
// rebalance). The broker rebalances on that JoinGroup because the member's subscription user data
// changed (its standby lag) — a rejoin with unchanged metadata would not start a rebalance.
//
// And hearing of a rebalance sooner: a member can ask for heartbeats at a shorter interval than its
// consumer's for a while (a `--workers` worker holding its first assignment until its siblings
// join; their joins reach it through its next heartbeat, up to a whole interval later otherwise).
//
// ConsumerGroup is kafkajs' private class (kafkajs is pinned at 2.2.4); its heartbeat is checked
// below so that an upgrade fails loudly here.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const requested = new Set<string>();
const fastHeartbeats = new Map<string, number>();

type Heartbeat = (this: ConsumerGroupInternals, args: { interval: number }) => Promise<void>;
interface ConsumerGroupInternals {
  memberId: string | null;
  heartbeat: Heartbeat;
}

const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as {
  prototype: ConsumerGroupInternals & { __streamfoldRejoin?: true };
};
const { KafkaJSProtocolError } = require('kafkajs/src/errors.js') as {
  KafkaJSProtocolError: new (e: { type: string; code: number; retriable: boolean; message: string }) => Error;
};
if (typeof ConsumerGroup.prototype.heartbeat !== 'function')
  throw new Error(
    'kafkajs internals changed: ConsumerGroup.heartbeat is missing (see runtime/kafka/patches/rejoin)',
  );

if (!ConsumerGroup.prototype.__streamfoldRejoin) {
  const heartbeat = ConsumerGroup.prototype.heartbeat;
  ConsumerGroup.prototype.heartbeat = async function (this: ConsumerGroupInternals, args) {
    if (this.memberId !== null && requested.delete(this.memberId))
      throw new KafkaJSProtocolError({
        type: 'REBALANCE_IN_PROGRESS',
        code: 27,
        retriable: false,
        message: 'a member asked for a rebalance (its warm-up standbys caught up)',
      });
    const fast = this.memberId === null ? undefined : fastHeartbeats.get(this.memberId);
    return heartbeat.call(this, fast === undefined ? args : { interval: Math.min(args.interval, fast) });
  };
  ConsumerGroup.prototype.__streamfoldRejoin = true;
}

/** The member's next heartbeat starts a rebalance. */
export function requestRebalance(memberId: string): void {
  requested.add(memberId);
}

/** The member heartbeats at most every `intervalMs` (undefined: at its consumer's interval again). */
export function heartbeatEvery(memberId: string, intervalMs: number | undefined): void {
  if (intervalMs === undefined) fastHeartbeats.delete(memberId);
  else fastHeartbeats.set(memberId, intervalMs);
}
