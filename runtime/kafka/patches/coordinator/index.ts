// kafkajs 2.2.4 looks up a transactional producer's coordinators (FindCoordinator) before each of
// its transactional requests: the transaction coordinator before AddPartitionsToTxn,
// AddOffsetsToTxn and EndTxn, the group coordinator before TxnOffsetCommit. Four more round trips to
// the broker per transaction with offsets, on top of the five it needs. The Java producer keeps a
// coordinator until a request says it moved. Measured with the command trace (docs/commands.md):
// ~1.5 ms each at 1 client, ~3 ms at 16, per transaction of ~15-30 ms.
//
// This patch keeps the answer of a coordinator lookup for COORDINATOR_TTL_MS, per kafkajs client
// (each producer has its own cluster object): transaction-coordinator lookups always, group-
// coordinator lookups only in a client that has looked up a transaction coordinator (a
// transactional producer: its TxnOffsetCommit). Consumers' and admins' lookups are left as they
// are: a consumer must see a moved group coordinator at once. A stale entry only delays noticing a
// moved coordinator by up to the TTL: requests sent to the old one fail with NOT_COORDINATOR, which
// kafkajs retries (for longer than the TTL), and a transaction that fails anyway makes streamfold
// throw its producer away (new cluster, no cache). It wraps the method, so kafkajs' own lookup,
// retries and errors are unchanged; it is applied only when kafkajs finds the coordinators the way
// 2.2.4 does (`coordinatorPatched`; coordinator-patch.test.ts fails when an upgrade changes that).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** How long a transaction coordinator found is used without asking again. */
export const COORDINATOR_TTL_MS = 1_000;
/** kafkajs' COORDINATOR_TYPES.TRANSACTION. */
const TRANSACTION = 1;

interface CoordinatorQuery {
  groupId: string;
  coordinatorType?: number;
}
type FindMetadata = (this: object, query: CoordinatorQuery) => Promise<unknown>;

/** Per kafkajs cluster that looked up a transaction coordinator: `<type>/<id>` → the answer and when it came. */
const caches = new WeakMap<object, Map<string, { at: number; metadata: Promise<unknown> }>>();

/**
 * `original` with the answers kept COORDINATOR_TTL_MS per cluster: transaction coordinators, and
 * group coordinators in a cluster that looked up a transaction coordinator.
 */
export function cachingTransactionCoordinators(original: FindMetadata): FindMetadata {
  return function findGroupCoordinatorMetadata(this: object, query: CoordinatorQuery) {
    let cache = caches.get(this);
    if (query.coordinatorType !== TRANSACTION && !cache) return original.call(this, query);
    if (!cache) caches.set(this, (cache = new Map()));
    const key = `${query.coordinatorType ?? 0}/${query.groupId}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && now - hit.at < COORDINATOR_TTL_MS) return hit.metadata;
    const metadata = original.call(this, query);
    cache.set(key, { at: now, metadata });
    // A failed lookup is not kept.
    metadata.catch(() => {
      if (cache.get(key)?.metadata === metadata) cache.delete(key);
    });
    return metadata;
  };
}

const compact = (f: unknown) => String(f).replace(/\s+/g, '');

/** True when kafkajs finds transaction coordinators as 2.2.4 does and the lookup is now cached. */
export const coordinatorPatched: boolean = (() => {
  try {
    const Cluster = require('kafkajs/src/cluster/index.js') as {
      prototype: {
        findGroupCoordinatorMetadata: FindMetadata & { cached?: true };
        findGroupCoordinator: unknown;
      };
    };
    const eos = compact(readFileSync(require.resolve('kafkajs/src/producer/eosManager/index.js'), 'utf8'));
    const proto = Cluster.prototype;
    if (proto.findGroupCoordinatorMetadata.cached) return true;
    if (
      !eos.includes(
        'cluster.findGroupCoordinator({groupId:transactionalId,coordinatorType:COORDINATOR_TYPES.TRANSACTION,})',
      ) ||
      !eos.includes(
        'letgroupCoordinator=awaitcluster.findGroupCoordinator({groupId:consumerGroupId,coordinatorType:COORDINATOR_TYPES.GROUP,})',
      ) ||
      !compact(proto.findGroupCoordinator).includes(
        'awaitthis.findGroupCoordinatorMetadata({groupId,coordinatorType,})',
      ) ||
      !compact(proto.findGroupCoordinatorMetadata).startsWith(
        'asyncfindGroupCoordinatorMetadata({groupId,coordinatorType})',
      )
    )
      return false;
    const patched = Object.assign(cachingTransactionCoordinators(proto.findGroupCoordinatorMetadata), {
      cached: true as const,
    });
    proto.findGroupCoordinatorMetadata = patched;
    return true;
  } catch {
    return false;
  }
})();
