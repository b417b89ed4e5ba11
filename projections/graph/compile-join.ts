// Compiles a projection's `join`s. With a table on the right: a stream–table join (a lookup at
// arrival; through a `join-repartition` topic when `on` is not the key), a table–table join on the
// primary key, or a foreign-key join (`fk-subscription` and `fk-response` topics between the left
// rows and the right table's partitions). With a stream on the right: compile-stream-join.ts.
import type { JoinDef } from '../definition/schema.ts';
import {
  fkJoinLeft,
  fkJoinResponses,
  fkJoinRight,
  fkJoinSubscriptions,
  type FkJoinSpec,
} from '../operators/join-foreign-key.ts';
import {
  joinRepartition,
  joinRepartitionReceiver,
  storeTable,
  streamTableJoin,
} from '../operators/join-stream-table.ts';
import { pruner } from '../operators/fields.ts';
import { pkJoinLeft, pkJoinRight } from '../operators/join-table-table.ts';
import type { Scope } from '../operators/scope.ts';
import type { Handler } from '../operators/source.ts';
import { port, type StreamItem, type TableChange, TopologyError } from '../operators/types.ts';
import { buildStreamJoin } from './compile-stream-join.ts';
import { names } from './names.ts';
import type { Edge } from './sub-topology-builder.ts';
import { aliasOf, type TopologyBuilder } from './topology-builder.ts';
import type { TopicInput } from './topology.ts';

/** What the join's surroundings let it save: see FkJoinSpec's `leftRows` and `oldRows`. */
export interface JoinContext {
  /** The store holding the left edge's current rows by key, if one does. */
  rows?: string;
  oldRows: 'fields' | 'presence';
}

export function compileJoin(
  b: TopologyBuilder,
  name: string,
  j: JoinDef,
  edge: Edge,
  scope: Scope,
  context: JoinContext,
): Edge {
  if (j.stream !== undefined) return compileStreamJoin(b, name, j, edge, scope);
  const app = b.app;
  const at = `projections.${name}.join(${j.table})`;
  if (j.type === 'right') throw new TopologyError(`${at}: a right join needs a stream on both sides`);
  const right = b.input(j.table!);
  if (right.kind !== 'table')
    throw new TopologyError(`${at}: '${j.table}' is a stream; a join needs a table on the right`);
  const alias = aliasOf(j);
  const rightInput: TopicInput = { topic: right.topic, role: right.role, name: right.name };
  // right rows are kept with only the fields read of them after the join
  const keepRight = pruner(() => scope.fieldsReadUnder(alias));

  if (edge.kind === 'stream') {
    if (j.type === 'outer') throw new TopologyError(`${at}: a stream–table join is inner or left, not outer`);
    const type = j.type;
    const store = names.joinTableStore(app, name, alias);
    const out = port<StreamItem>();
    if (!j.on && edge.partitioned) {
      edge.sub.store(store, `the ${j.table} table for lookups`);
      b.read(edge.sub, rightInput, storeTable(store, keepRight));
      edge.port.push = streamTableJoin(store, alias, type, out);
      edge.sub.op(`stream–table ${type} join ${j.table} as ${alias} on the key (lookup at arrival)`);
      return { ...edge, port: out };
    }
    // The join key is not the partitioning key: move events to the join key's partition.
    const on = j.on ? scope.compile(j.on) : undefined;
    const topic = names.joinRepartitionTopic(app, name, alias);
    edge.port.push = joinRepartition(
      topic,
      (item) => (on ? on.evaluate(scope.vars(item.value, item)) : item.key),
      pruner(() => scope.fieldsRead()),
    );
    edge.sub.op(`repartition by ${j.on ?? 'the key'} → ${topic}`);
    const sub = b.newSub(`${name}-${alias}-join`, name);
    sub.store(store, `the ${j.table} table for lookups`);
    b.read(sub, rightInput, storeTable(store, keepRight));
    b.exchange(
      {
        topic,
        purpose: 'join-repartition',
        projection: name,
        from: edge.sub.id,
        to: sub.id,
        keyedBy: j.on ?? 'the key',
      },
      edge.sub,
      sub,
      joinRepartitionReceiver(store, alias, type, out),
    );
    sub.op(`stream–table ${type} join ${j.table} as ${alias} on ${j.on ?? 'the key'} (lookup at arrival)`);
    return { kind: 'stream', port: out, sub, partitioned: false };
  }

  const out = port<TableChange>();
  if (!j.on) {
    if (j.type === undefined) throw new TopologyError(`${at}: missing join type`);
    // Reading the table source directly, the join finds the left rows in the source's store.
    const stores = {
      left:
        context.rows ?? edge.sub.store(names.joinLeftStore(app, name, alias), 'the left rows of the join'),
      leftIsSource: context.rows !== undefined,
      right: edge.sub.store(names.joinTableStore(app, name, alias), `the ${j.table} rows of the join`),
    };
    edge.port.push = pkJoinLeft(stores, alias, j.type, out);
    b.read(edge.sub, rightInput, pkJoinRight(stores, alias, j.type, out, keepRight));
    edge.sub.op(`table–table ${j.type} join ${j.table} as ${alias} on the primary key`);
    return { ...edge, port: out };
  }

  if (j.type === 'outer') throw new TopologyError(`${at}: a foreign-key join is inner or left, not outer`);
  const on = scope.compile(j.on);
  const spec: FkJoinSpec = {
    alias,
    type: j.type,
    names: {
      leftStore: names.fkLeftStore(app, name, alias),
      subscriptionStore: names.fkSubscriptionStore(app, name, alias),
      rightStore: names.fkRightStore(app, name, alias),
      subscriptionTopic: names.fkSubscriptionTopic(app, name, alias),
      responseTopic: names.fkResponseTopic(app, name, alias),
    },
    foreignKey: (row, key, timestamp) => on.evaluate(scope.vars(row, { key, timestamp })),
    leftRows: context.rows,
    oldRows: context.oldRows,
    keepRight,
  };
  const left = edge.sub;
  const joinedKept = spec.oldRows === 'presence' ? 'whether it has a joined row' : 'its last joined row';
  left.store(
    spec.names.leftStore,
    spec.leftRows
      ? `per left row ${joinedKept}, once joined (the rows themselves are in ${spec.leftRows})`
      : `left rows with their row hash and ${joinedKept}`,
  );
  edge.port.push = fkJoinLeft(spec, out);
  left.op(
    `foreign-key ${j.type} join ${j.table} as ${alias} on ${j.on}: subscribe → ${spec.names.subscriptionTopic}`,
  );
  const rightSub = b.newSub(`${name}-${alias}-fk`, name);
  rightSub.store(spec.names.subscriptionStore, 'left keys subscribed to each foreign key');
  rightSub.store(spec.names.rightStore, `the ${j.table} rows`);
  b.read(rightSub, rightInput, fkJoinRight(spec));
  b.exchange(
    {
      topic: spec.names.subscriptionTopic,
      purpose: 'fk-subscription',
      projection: name,
      from: left.id,
      to: rightSub.id,
      keyedBy: `the foreign key ${j.on}`,
    },
    left,
    rightSub,
    fkJoinSubscriptions(spec),
  );
  rightSub.op(
    `index subscriptions; answer each, and fan out every ${j.table} change → ${spec.names.responseTopic}`,
  );
  b.exchange(
    {
      topic: spec.names.responseTopic,
      purpose: 'fk-response',
      projection: name,
      from: rightSub.id,
      to: left.id,
      keyedBy: 'the left key',
    },
    rightSub,
    left,
    fkJoinResponses(spec, out),
  );
  left.op(`join responses from ${spec.names.responseTopic} (stale row versions dropped)`);
  return { ...edge, port: out };
}

/** Windowed stream–stream join on the key (compile-stream-join.ts). */
function compileStreamJoin(b: TopologyBuilder, name: string, j: JoinDef, edge: Edge, scope: Scope): Edge {
  const right = b.input(j.stream!);
  const alias = aliasOf(j);
  const read = (input: TopicInput, handler: Handler) => b.read(edge.sub, input, handler);
  const out = buildStreamJoin(
    {
      app: b.app,
      projection: name,
      join: j,
      alias,
      right,
      read,
      reads: () => ({
        origin: scope.readsOrigin(),
        left: scope.fieldsRead(),
        right: scope.fieldsReadUnder(alias),
      }),
    },
    edge,
  );
  return { ...edge, port: out };
}
