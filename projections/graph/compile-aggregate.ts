// Compiles a projection's `aggregate` (with groupBy, window, emit, having, select, deleteOn and
// deleteWhen): the group routing where the pipeline ends, and the aggregate where the group states
// live — in the same sub-topology when records already sit in their group's partition, else in a
// new one behind the `repartition` topic, keyed by the group key.
import type { ProjectionDef } from '../definition/schema.ts';
import { compileExpression } from '../expressions/index.ts';
import { isCommandStateProjection } from '../commands/state.ts';
import { compileAggregateInput } from '../operators/aggregate-inputs.ts';
import {
  type Deliver,
  streamAggregate,
  type StreamAggMessage,
  streamRoute,
  tableAggregate,
  type TableAggMessage,
  tableRoute,
  viaTopic,
} from '../operators/aggregate.ts';
import { compileGroupKey } from '../operators/group-key.ts';
import type { GroupOutputSpec } from '../operators/group-output.ts';
import { holds, type Scope } from '../operators/scope.ts';
import { TopologyError } from '../operators/types.ts';
import { derivesWindowRows, groupRowsView, windowRowsView } from '../rows/index.ts';
import { emitClosedWindows } from '../windows/punctuate.ts';
import { sessionWindowAggregate } from '../windows/session-aggregate.ts';
import { describeWindow, resolveWindow } from '../windows/spec.ts';
import { timeWindowAggregate } from '../windows/time-aggregate.ts';
import { names } from './names.ts';
import type { Edge } from './sub-topology-builder.ts';
import type { TopologyBuilder } from './topology-builder.ts';

export function compileAggregate(
  b: TopologyBuilder,
  name: string,
  p: ProjectionDef,
  edge: Edge,
  scope: Scope,
): void {
  const app = b.app;
  const at = `projections.${name}`;
  const mode = edge.kind;
  const groupKey = compileGroupKey(p.groupBy, scope, at);
  const inputs = Object.entries(p.aggregate!).map(([field, d]) =>
    compileAggregateInput(field, d, mode, scope),
  );
  const having = p.having ? compileExpression(p.having) : undefined;
  const select = p.select
    ? Object.entries(p.select).map(
        ([f, src]) => [f, compileExpression(src)] as [string, ReturnType<typeof compileExpression>],
      )
    : undefined;
  const outputSources = [p.having ?? '', ...Object.values(p.select ?? {})].join('\n');
  const out: GroupOutputSpec = {
    projection: name,
    inputs,
    components: groupKey.components,
    having,
    select,
    needsKey: /\b_key\b/.test(outputSources),
    windowed: p.window !== undefined,
  };
  if (p.emit === 'final' && !p.window)
    throw new TopologyError(`${at}: emit: final sends one row per closed window; it needs a window`);
  const window = p.window ? resolveWindow(p.window, p.emit) : undefined;
  if (window && mode !== 'stream')
    throw new TopologyError(`${at}: a window groups events by event time; '${p.from}' is a table`);
  if (window && (p.deleteOn || p.deleteWhen))
    throw new TopologyError(
      `${at}: deleteOn/deleteWhen do not apply to windowed aggregates (windows expire)`,
    );
  let deletes: ((vars: Record<string, unknown>, type: unknown) => boolean) | undefined;
  if (p.deleteOn || p.deleteWhen) {
    if (mode !== 'stream')
      throw new TopologyError(
        `${at}: deleteOn/deleteWhen apply to events; '${p.from}' is a table (its deletes already retract)`,
      );
    const types = new Set(p.deleteOn ?? []);
    const when = p.deleteWhen ? scope.compile(p.deleteWhen) : undefined;
    deletes = (vars, type) => types.has(type as string) || (when !== undefined && holds(when, vars));
  }
  const store = names.aggregateStore(app, name);
  // Command state grouped by (entity key, per) stays in the entity's partition: the task that
  // decides a command reads it there (projections/commands/state.ts). It writes no topic, so no
  // consumer ever looks for its rows by their own key.
  const keepsPartition =
    groupKey.isInputKey ||
    (groupKey.keepsInputKey === true && isCommandStateProjection(name) && p.output === false);
  const repartition = !keepsPartition || !edge.partitioned;
  let aggSub = edge.sub;
  let deliver: Deliver<any>;
  // Sessions with emit final keep their rows in a rows store (compileRows; window-rows.ts says
  // why); retention deletes them with their windows. Other windowed rows derive from the windows.
  const rowsStore = window && !derivesWindowRows(window) ? names.rowsStore(app, name) : undefined;
  const aggregate = window
    ? window.type === 'session'
      ? sessionWindowAggregate(store, window, out, rowsStore)
      : timeWindowAggregate(store, window, out)
    : mode === 'stream'
      ? streamAggregate(store, out)
      : tableAggregate(store, out);
  if (repartition) {
    const topic = names.repartitionTopic(app, name);
    deliver = viaTopic(topic);
    aggSub = b.newSub(`${name}-aggregate`, name);
    b.exchange(
      {
        topic,
        purpose: 'repartition',
        projection: name,
        from: edge.sub.id,
        to: aggSub.id,
        keyedBy: `the group key ${groupKey.description}`,
      },
      edge.sub,
      aggSub,
      (record, ctx) => aggregate(record.value as StreamAggMessage & TableAggMessage, ctx),
    );
  } else {
    deliver = aggregate;
  }
  const route = { scope, groupKey, inputs, deletes, typeOf: scope.typeOf };
  edge.port.push = mode === 'stream' ? streamRoute(route, deliver) : tableRoute(route, deliver);
  edge.sub.op(
    `group by ${groupKey.description}${mode === 'table' ? ' (old row retracted, new row added)' : ''}${
      deletes
        ? `; delete group on ${[...(p.deleteOn ?? []), p.deleteWhen ?? ''].filter(Boolean).join(', ')}`
        : ''
    }${repartition ? ` → ${names.repartitionTopic(app, name)}` : ''}`,
  );
  aggSub.store(
    store,
    `${window ? `window states (${describeWindow(window)}), ` : ''}group states (${inputs.map((i) => `${i.field}: ${i.spec.name}`).join(', ')})`,
  );
  aggSub.op(
    `${window ? `${window.type}-windowed ` : ''}${mode} aggregate ${inputs.map((i) => `${i.field}=${i.spec.name}`).join(', ')} → store ${store}`,
  );
  if (window) aggSub.op(`window ${describeWindow(window)}; late records dropped`);
  if (window?.emit === 'final') aggSub.onPunctuate((ctx) => emitClosedWindows(store, window, out, ctx));
  if (p.having) aggSub.op(`having ${p.having} (tombstone only for emitted rows)`);
  if (p.select) aggSub.op(`select ${Object.keys(p.select).join(', ')}`);
  aggSub.emits = true;
  aggSub.op(`emit upserts/tombstones of ${name}${window ? ' keyed by { key, window }' : ''}`);
  const info = b.projectionInfos.find((i) => i.name === name)!;
  if (window) info.window = window;
  // Sessions with emit final: a rows store keyed by group key and window (compileRows).
  if (rowsStore) return;
  // Each final row is a function of its group state (and, windowed, of the window store's clock):
  // queries derive it, no rows store.
  aggSub.op(
    window
      ? `queries derive each window's final row from its state in ${store} (while retained${window.emit === 'final' ? ', once closed' : ''})`
      : `queries derive each final row from its group state in ${store}`,
  );
  info.rows = window ? windowRowsView(store, window, out) : groupRowsView(store, out);
}
