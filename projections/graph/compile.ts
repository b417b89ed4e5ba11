// Definition → Topology. Each projection compiles into one or more sub-topologies; a new one starts
// wherever records must move to other partitions (Kafka Streams' rule):
// - groupBy on anything but the input key, or aggregating a stream that a join re-keyed:
//   the `repartition` topic, keyed by the group key;
// - a stream–table join with `on`: the `join-repartition` topic, keyed by the join key;
// - a foreign-key join: a `fk-subscription` topic keyed by the foreign key (to the right table's
//   partitions) and a `fk-response` topic keyed back by the left key;
// - a re-keyed source (`partitioning: repartition`, or `messageKey` with JSON keys): a
//   `source-repartition` topic per reading projection, keyed by the entity key
//   (operators/source-repartition.ts).
// A projection that reads another projection reads its records topic (output topic, or an internal
// feed topic for `output: false`); a table input is materialised so changes carry old rows.
// This file walks the projections and builds each one's pipeline; the parts live beside it:
// compile-source-filters.ts, compile-join.ts (and compile-stream-join.ts), compile-aggregate.ts,
// compile-rows-and-history.ts, on the shared state of topology-builder.ts.
import { joinTarget, type Definition, type ProjectionDef } from '../definition/schema.ts';
import { pruner } from '../operators/fields.ts';
import { streamFilter, tableFilter } from '../operators/filter.ts';
import { Scope } from '../operators/scope.ts';
import { projector, streamSelect, tableSelect } from '../operators/select.ts';
import { streamSink, tableSink } from '../operators/sink.ts';
import { sourceReader, streamSource, tableSource } from '../operators/source.ts';
import { type Port, port, TopologyError } from '../operators/types.ts';
import { compileAggregate } from './compile-aggregate.ts';
import { compileJoin } from './compile-join.ts';
import { compileHistory, compileRows } from './compile-rows-and-history.ts';
import { sourceFilter } from './compile-source-filters.ts';
import { names } from './names.ts';
import type { Edge, Kind } from './sub-topology-builder.ts';
import { aliasOf, joinsOf, TopologyBuilder } from './topology-builder.ts';
import type { SourceInfo, TopicInput, Topology } from './topology.ts';

export { joinsOf } from './topology-builder.ts';

export function compileTopology(def: Definition): Topology {
  const b = new TopologyBuilder(def);
  const entries = Object.entries(def.projections);
  for (const [name] of entries) kindOf(b, name, []);
  const consumed = new Set<string>();
  for (const [, p] of entries) {
    consumed.add(p.from);
    for (const j of joinsOf(p)) consumed.add(joinTarget(j));
  }
  for (const [name, p] of entries) {
    if (p.output && p.output.windowedKey === 'binary') {
      const at = `projections.${name}.output.windowedKey`;
      if (!p.window)
        throw new TopologyError(
          `${at}: binary windowed keys are for windowed aggregates; ${name} has no window`,
        );
      if (consumed.has(name))
        throw new TopologyError(
          `${at}: another projection reads ${name}, and reads keys as JSON; keep windowedKey: json`,
        );
    }
    const topic =
      p.output === false
        ? consumed.has(name)
          ? names.internalFeedTopic(b.app, name)
          : null
        : (p.output?.topic ?? names.outputTopic(b.app, name));
    b.projectionInfos.push({
      name,
      kind: b.kinds.get(name)!,
      from: p.from,
      topic,
      internalTopic: p.output === false && topic !== null,
    });
  }
  for (const [name, p] of entries) {
    compileProjection(b, name, p);
    compileRows(b, name);
    compileHistory(b, name, p);
  }
  const sources: SourceInfo[] = Object.entries(def.sources).map(([name, s]) => ({
    name,
    topic: s.topic,
    kind: s.kind,
  }));
  return {
    application: b.app,
    sources,
    projections: b.projectionInfos,
    subTopologies: b.subs,
    exchanges: b.exchanges,
    firstWriterWins: b.firstWriterWins,
  };
}

/** A projection is a table when it aggregates or reads a table; else a stream. */
function kindOf(b: TopologyBuilder, name: string, stack: string[]): Kind {
  const known = b.kinds.get(name);
  if (known) return known;
  const source = b.def.sources[name];
  if (source) return source.kind;
  const p = b.def.projections[name];
  if (!p)
    throw new TopologyError(
      `unknown source or projection '${name}'${stack.length ? ` (read by ${stack.at(-1)})` : ''}`,
    );
  if (stack.includes(name))
    throw new TopologyError(`projections read each other in a cycle: ${[...stack, name].join(' → ')}`);
  const inner = [...stack, name];
  for (const j of joinsOf(p)) kindOf(b, joinTarget(j), inner);
  const fromKind = kindOf(b, p.from, inner);
  const kind: Kind = p.aggregate ? 'table' : fromKind;
  b.kinds.set(name, kind);
  return kind;
}

function compileProjection(b: TopologyBuilder, name: string, p: ProjectionDef): void {
  const app = b.app;
  const at = `projections.${name}`;
  const from = b.input(p.from);
  const joins = joinsOf(p);
  const reader = sourceReader(from.source);
  const typeOf = from.source?.eventType ? (row: Record<string, unknown>) => reader.type(row) : undefined;
  const scope = new Scope({ from: p.from, aliases: joins.map(aliasOf), typeOf });
  const sub = b.newSub(name, name);

  // 1. input
  const first = port<any>();
  let edge: Edge = { kind: from.kind, port: first, sub, partitioned: true };
  const inputSpec: TopicInput = { topic: from.topic, role: from.role, name: from.name };
  /** The store that holds the edge's current rows by key, while the edge is the table source's. */
  let rows: string | undefined;
  if (from.kind === 'stream') {
    sub.op(
      `stream ${from.role} ${from.name} (${from.topic})${from.source?.key ? ` keyed by ${from.source.key}` : ''}`,
    );
    if (from.source?.upcast) {
      sub.op(`upcast ${Object.keys(from.source.upcast).join(', ')} events to their current versions`);
    }
    b.read(sub, inputSpec, streamSource(reader, first, sourceFilter(b, name, from, sub)));
  } else {
    const store = sub.store(
      names.inputStore(app, name),
      `the ${from.name} table, materialised so changes carry old rows (the fields the projection reads)`,
    );
    // rows keep what the projection's expressions read, and what the source's own expressions do
    const keep = pruner(() => {
      const read = scope.fieldsRead();
      return read && new Set([...read, ...reader.fields]);
    });
    b.read(sub, inputSpec, tableSource(store, reader, first, keep));
    rows = store;
    sub.op(`table ${from.role} ${from.name} (${from.topic}) → store ${store}`);
  }

  // 2. where: before anything else
  if (p.where) {
    const cond = scope.compile(p.where);
    edge = then(edge, (out) =>
      edge.kind === 'stream' ? streamFilter(cond, scope, out) : tableFilter(cond, scope, out),
    );
    edge.sub.op(`${edge.kind === 'table' ? 'table filter (with retraction)' : 'filter'} where ${p.where}`);
    rows = undefined; // the source store also holds the rows the filter drops
  }

  // 3. joins, in order
  joins.forEach((j, i) => {
    // After the last join only a select and the sink read old rows, and only for their presence.
    const oldRows = i === joins.length - 1 && !p.aggregate ? 'presence' : 'fields';
    edge = compileJoin(b, name, j, edge, scope, { rows: i === 0 ? rows : undefined, oldRows });
  });

  // 4. aggregate (+ having, select, deleteOn) or select
  if (p.aggregate) {
    compileAggregate(b, name, p, edge, scope);
    return;
  }
  for (const key of ['groupBy', 'having', 'deleteOn', 'deleteWhen'] as const) {
    if (p[key] !== undefined) throw new TopologyError(`${at}: ${key} needs an aggregate`);
  }
  if (p.select) {
    const project = projector(
      Object.entries(p.select).map(([f, src]) => [f, scope.compile(src)]),
      scope,
    );
    edge = then(edge, (out) =>
      edge.kind === 'stream' ? streamSelect(project, out) : tableSelect(project, out),
    );
    edge.sub.op(`select ${Object.keys(p.select).join(', ')}`);
  } else {
    // the joined row leaves whole, so a join buffer keeps every field
    scope.readsWholeRow();
  }
  edge.port.push = edge.kind === 'stream' ? streamSink(name) : tableSink(name);
  edge.sub.emits = true;
  edge.sub.op(`emit ${edge.kind === 'stream' ? 'records' : 'upserts/tombstones'} of ${name}`);
}

/** Appends an operator built on a fresh output port. */
function then(edge: Edge, build: (out: Port<any>) => (item: any, ctx: any) => void): Edge {
  const out = port<any>();
  edge.port.push = build(out);
  return { ...edge, port: out };
}
