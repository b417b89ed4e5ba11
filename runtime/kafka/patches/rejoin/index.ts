// Asking the group for a new rebalance from a member (the probing rebalance of a member whose
// warm-up standbys caught up). kafkajs 2 has no `enforceRebalance()`; it re-joins when a heartbeat
// answers REBALANCE_IN_PROGRESS. So the next heartbeat of a member that asked answers that, without
// going to the broker: kafkajs' runner then re-joins (the consumer loop commits first, as for any
// rebalance). The broker rebalances on that JoinGroup because the member's subscription user data
// changed (its standby lag) — a rejoin with unchanged metadata would not start a rebalance.
//
// ConsumerGroup is kafkajs' private class (kafkajs is pinned at 2.2.4); its heartbeat is checked
// below so that an upgrade fails loudly here.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const requested = new Set<string>();

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
    return heartbeat.call(this, args);
  };
  ConsumerGroup.prototype.__streamfoldRejoin = true;
}

/** The member's next heartbeat starts a rebalance. */
export function requestRebalance(memberId: string): void {
  requested.add(memberId);
}
