// Definition → Topology. Each projection compiles into one or more sub-topologies; a new one starts
// wherever records must move to other partitions (Kafka Streams' rule):
// - groupBy on anything but the input key, or aggregating a stream that a join re-keyed:
//   the `repartition` topic, keyed by the group key;
// - a stream–table join with `on`: the `join-repartition` topic, keyed by the join key;
// - a foreign-key join: a `fk-subscription` topic keyed by the foreign key (to the right table's
//   partitions) and a `fk-response` topic keyed back by the left key;
// - a re-keyed source (`partitioning: repartition`, or `messageKey` with JSON keys): a `source-repartition` topic per reading projection,
//   keyed by the entity key (operators/source-repartition.ts).
// A projection that reads another projection reads its records topic (output topic, or an internal
// feed topic for `output: false`); a table input is materialised so changes carry old rows.
import { compileExpression } from '../expressions/index.ts';
import { parseDuration } from '../history/duration.ts';
import { describeWindow, resolveWindow } from '../windows/spec.ts';
import { timeWindowAggregate } from '../windows/time-aggregate.ts';
import { sessionWindowAggregate } from '../windows/session-aggregate.ts';
import { historyRecorder } from '../history/recorder.ts';
import { groupRowsView, rowsRecorder, storedRowsView } from '../rows/index.ts';
import {
  joinTarget,
  type Definition,
  type JoinDef,
  type ProjectionDef,
  type SourceDef,
} from '../definition/schema.ts';
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
import { dedupHorizonOf } from '../dedup/horizon.ts';
import { type DedupFilter, eventIdFilter } from '../operators/dedup.ts';
import { firstWriterWinsFilter } from '../operators/first-writer-wins.ts';
import { streamFilter, tableFilter } from '../operators/filter.ts';
import { compileGroupKey } from '../operators/group-key.ts';
import type { GroupOutputSpec } from '../operators/group-output.ts';
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
import { pkJoinLeft, pkJoinRight } from '../operators/join-table-table.ts';
import { emitClosedWindows } from '../windows/punctuate.ts';
import { holds, Scope } from '../operators/scope.ts';
import { projector, streamSelect, tableSelect } from '../operators/select.ts';
import { streamSink, tableSink } from '../operators/sink.ts';
import { type Handler, sourceReader, streamSource, tableSource } from '../operators/source.ts';
import { isCommandStateProjection } from '../commands/state.ts';
import { fromSourceRepartition, reKeysSource, sourceRepartition } from '../operators/source-repartition.ts';
import {
  type Port,
  port,
  type ProcessorContext,
  type StreamItem,
  type TableChange,
  TopologyError,
} from '../operators/types.ts';
import type { InputRecord } from '../records.ts';
import { buildStreamJoin } from './compile-stream-join.ts';
import { names } from './names.ts';
import type {
  ExchangeSpec,
  ProjectionInfo,
  SourceInfo,
  StoreSpec,
  SubTopology,
  TopicInput,
  Topology,
} from './topology.ts';

type Kind = 'stream' | 'table';

export class SubBuilder implements SubTopology {
  readonly inputs: TopicInput[] = [];
  readonly stores: StoreSpec[] = [];
  readonly sends: string[] = [];
  readonly operators: string[] = [];
  emits = false;
  /** Wraps the context of every record, e.g. to keep the final rows and the history. */
  wrapContext?: (ctx: ProcessorContext) => ProcessorContext;
  private readonly handlers = new Map<string, Handler[]>();
  private readonly punctuators: Array<(ctx: ProcessorContext) => void> = [];

  constructor(
    readonly id: string,
    readonly projection: string,
  ) {}

  read(input: TopicInput, handler: Handler): void {
    if (!this.inputs.some((i) => i.topic === input.topic)) this.inputs.push(input);
    const list = this.handlers.get(input.topic) ?? [];
    list.push(handler);
    this.handlers.set(input.topic, list);
  }
  store(name: string, purpose: string): string {
    if (!this.stores.some((s) => s.name === name)) this.stores.push({ name, purpose });
    return name;
  }
  send(topic: string): void {
    if (!this.sends.includes(topic)) this.sends.push(topic);
  }
  op(text: string): void {
    this.operators.push(text);
  }
  /** Adds a context wrapper; wrappers compose, the first added sees emits first. */
  wrap(wrapper: (ctx: ProcessorContext) => ProcessorContext): void {
    const inner = this.wrapContext;
    this.wrapContext = inner ? (ctx) => inner(wrapper(ctx)) : wrapper;
  }
  /** Registers a check that emits what became due by stream time (see SubTopology.punctuate). */
  onPunctuate(p: (ctx: ProcessorContext) => void): void {
    this.punctuators.push(p);
    this.punctuate ??= (ctx) => {
      const c = this.wrapContext ? this.wrapContext(ctx) : ctx;
      for (const run of this.punctuators) run(c);
    };
  }
  punctuate?: (ctx: ProcessorContext) => void;
  process = (record: InputRecord, ctx: Parameters<Handler>[1]): void => {
    const handlers = this.handlers.get(record.topic);
    if (!handlers) throw new Error(`sub-topology ${this.id} does not read topic ${record.topic}`);
    const c = this.wrapContext ? this.wrapContext(ctx) : ctx;
    for (const h of handlers) h(record, c);
  };
}

/** The current end of a projection's pipeline while it is being built. */
export interface Edge {
  kind: Kind;
  port: Port<any>;
  sub: SubBuilder;
  /** Whether records sit in the partition of their key (false after a join repartition). */
  partitioned: boolean;
}

export interface ResolvedInput {
  name: string;
  kind: Kind;
  topic: string;
  role: 'source' | 'projection';
  source?: SourceDef;
}

export function compileTopology(def: Definition): Topology {
  return new Compiler(def).compile();
}

class Compiler {
  private readonly app: string;
  private readonly kinds = new Map<string, Kind>();
  private readonly subs: SubBuilder[] = [];
  private readonly exchanges: ExchangeSpec[] = [];
  private readonly projectionInfos: ProjectionInfo[] = [];

  constructor(private readonly def: Definition) {
    this.app = def.application;
  }

  compile(): Topology {
    const entries = Object.entries(this.def.projections);
    for (const [name] of entries) this.kindOf(name, []);
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
            ? names.internalFeedTopic(this.app, name)
            : null
          : (p.output?.topic ?? names.outputTopic(this.app, name));
      this.projectionInfos.push({
        name,
        kind: this.kinds.get(name)!,
        from: p.from,
        topic,
        internalTopic: p.output === false && topic !== null,
      });
    }
    for (const [name, p] of entries) {
      this.compileProjection(name, p);
      this.compileRows(name);
      this.compileHistory(name, p);
    }
    const sources: SourceInfo[] = Object.entries(this.def.sources).map(([name, s]) => ({
      name,
      topic: s.topic,
      kind: s.kind,
    }));
    return {
      application: this.app,
      sources,
      projections: this.projectionInfos,
      subTopologies: this.subs,
      exchanges: this.exchanges,
    };
  }

  /** A projection is a table when it aggregates or reads a table; else a stream. */
  private kindOf(name: string, stack: string[]): Kind {
    const known = this.kinds.get(name);
    if (known) return known;
    const source = this.def.sources[name];
    if (source) return source.kind;
    const p = this.def.projections[name];
    if (!p)
      throw new TopologyError(
        `unknown source or projection '${name}'${stack.length ? ` (read by ${stack.at(-1)})` : ''}`,
      );
    if (stack.includes(name))
      throw new TopologyError(`projections read each other in a cycle: ${[...stack, name].join(' → ')}`);
    const inner = [...stack, name];
    for (const j of joinsOf(p)) this.kindOf(joinTarget(j), inner);
    const fromKind = this.kindOf(p.from, inner);
    const kind: Kind = p.aggregate ? 'table' : fromKind;
    this.kinds.set(name, kind);
    return kind;
  }

  private input(name: string): ResolvedInput {
    const source = this.def.sources[name];
    if (source) return { name, kind: source.kind, topic: source.topic, role: 'source', source };
    const info = this.projectionInfos.find((p) => p.name === name);
    if (!info) throw new TopologyError(`unknown source or projection '${name}'`);
    return { name, kind: info.kind, topic: info.topic!, role: 'projection' };
  }

  private newSub(id: string, projection: string): SubBuilder {
    const sub = new SubBuilder(id, projection);
    this.subs.push(sub);
    return sub;
  }

  private exchange(spec: ExchangeSpec, writer: SubBuilder, reader: SubBuilder, handler: Handler): void {
    this.exchanges.push(spec);
    writer.send(spec.topic);
    reader.read({ topic: spec.topic, role: 'exchange', name: spec.purpose }, handler);
  }

  /**
   * `sub` reads `input` with `handler`; a source that is re-keyed (`reKeysSource`) through its
   * repartition topic, written by a sub-topology of the same projection that re-keys the source.
   */
  private read(sub: SubBuilder, input: TopicInput, handler: Handler): void {
    const source = input.role === 'source' ? this.def.sources[input.name] : undefined;
    if (!source || !reKeysSource(source)) return sub.read(input, handler);
    const topic = names.sourceRepartitionTopic(this.app, sub.projection, input.name);
    const id = `${sub.projection}-${input.name}-source-repartition`;
    let writer = this.subs.find((s) => s.id === id);
    if (!writer) {
      writer = this.newSub(id, sub.projection);
      writer.read(input, sourceRepartition(source, topic));
      writer.op(
        `source ${input.name} (${input.topic}) re-keyed by ${source.key ?? 'the record key'} → ${topic}`,
      );
    }
    const spec: ExchangeSpec = {
      topic,
      purpose: 'source-repartition',
      projection: sub.projection,
      from: writer.id,
      to: sub.id,
      keyedBy: source.key ?? 'the record key',
    };
    this.exchange(spec, writer, sub, fromSourceRepartition(input.topic, handler));
  }

  private compileProjection(name: string, p: ProjectionDef): void {
    const app = this.app;
    const at = `projections.${name}`;
    const from = this.input(p.from);
    const joins = joinsOf(p);
    const reader = sourceReader(from.source);
    const typeOf = from.source?.eventType ? (row: Record<string, unknown>) => reader.type(row) : undefined;
    const scope = new Scope({ from: p.from, aliases: joins.map(aliasOf), typeOf });
    const sub = this.newSub(name, name);

    // 1. input
    const first = port<any>();
    let edge: Edge = { kind: from.kind, port: first, sub, partitioned: true };
    const inputSpec: TopicInput = { topic: from.topic, role: from.role, name: from.name };
    if (from.kind === 'stream') {
      sub.op(
        `stream ${from.role} ${from.name} (${from.topic})${from.source?.key ? ` keyed by ${from.source.key}` : ''}`,
      );
      if (from.source?.upcast) {
        sub.op(`upcast ${Object.keys(from.source.upcast).join(', ')} events to their current versions`);
      }
      this.read(sub, inputSpec, streamSource(reader, first, this.sourceFilter(name, from, sub)));
    } else {
      const store = sub.store(
        names.inputStore(app, name),
        `the ${from.name} table, materialised so changes carry old rows`,
      );
      this.read(sub, inputSpec, tableSource(store, reader, first));
      sub.op(`table ${from.role} ${from.name} (${from.topic}) → store ${store}`);
    }

    // 2. where: before anything else
    if (p.where) {
      const cond = scope.compile(p.where);
      edge = this.then(edge, (out) =>
        edge.kind === 'stream' ? streamFilter(cond, scope, out) : tableFilter(cond, scope, out),
      );
      edge.sub.op(`${edge.kind === 'table' ? 'table filter (with retraction)' : 'filter'} where ${p.where}`);
    }

    // 3. joins, in order
    for (const j of joins) edge = this.compileJoin(name, j, edge, scope);

    // 4. aggregate (+ having, select, deleteOn) or select
    if (p.aggregate) {
      this.compileAggregate(name, p, edge, scope);
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
      edge = this.then(edge, (out) =>
        edge.kind === 'stream' ? streamSelect(project, out) : tableSelect(project, out),
      );
      edge.sub.op(`select ${Object.keys(p.select).join(', ')}`);
    }
    edge.port.push = edge.kind === 'stream' ? streamSink(name) : tableSink(name);
    edge.sub.emits = true;
    edge.sub.op(`emit ${edge.kind === 'stream' ? 'records' : 'upserts/tombstones'} of ${name}`);
  }

  /** What drops a source event before the projection: duplicates, then first-writer-wins losers. */
  private sourceFilter(
    name: string,
    from: { role: string; name: string; source?: SourceDef },
    sub: SubBuilder,
  ): DedupFilter | undefined {
    const dedup = this.dedup(name, from.source, sub);
    const versions =
      from.role === 'source' ? this.firstWriterWins(name, from.name, from.source, sub) : undefined;
    if (!versions) return dedup;
    if (!dedup) return versions;
    return (item, part, ctx) => dedup(item, part, ctx) && versions(item, part, ctx);
  }

  /** First-writer-wins for a source that declares it (its own version store per projection). */
  private firstWriterWins(
    name: string,
    sourceName: string,
    source: SourceDef | undefined,
    sub: SubBuilder,
  ): DedupFilter | undefined {
    if (source?.conflicts !== 'first-writer-wins' || !source.entityVersion) return undefined;
    const store = sub.store(names.entityVersionStore(this.app, name), 'entity versions (first-writer-wins)');
    // The first projection reading the source reports its rejections; the others decide alike.
    const reporter = Object.entries(this.def.projections).find(([, p]) => p.from === sourceName)?.[0];
    const rejectionsTopic = reporter === name ? names.rejectionsTopic(this.app) : undefined;
    if (rejectionsTopic) sub.send(rejectionsTopic);
    sub.op(
      `drop events whose ${source.entityVersion} is not their entity's version + 1 → store ${store}${rejectionsTopic ? `, rejections to ${rejectionsTopic}` : ''}`,
    );
    return firstWriterWinsFilter({ store, source: sourceName, field: source.entityVersion, rejectionsTopic });
  }

  /** Event-id deduplication for a stream source that declares eventId (its own store per projection). */
  private dedup(name: string, source: SourceDef | undefined, sub: SubBuilder): DedupFilter | undefined {
    if (!source?.eventId) return undefined;
    const store = sub.store(names.dedupStore(this.app, name), 'event ids seen within the dedup horizon');
    const horizonMs = dedupHorizonOf(this.def, source);
    const scope = new Scope();
    const eventId = scope.compile(source.eventId);
    sub.op(
      `drop events whose ${source.eventId} was seen for the same key within ${horizonMs} ms → store ${store}`,
    );
    return eventIdFilter({ store, eventId, scope, horizonMs });
  }

  /** Appends an operator built on a fresh output port. */
  private then(edge: Edge, build: (out: Port<any>) => (item: any, ctx: any) => void): Edge {
    const out = port<any>();
    edge.port.push = build(out);
    return { ...edge, port: out };
  }

  /**
   * A table projection's final rows, unless derived from its aggregate store (compileAggregate):
   * the emitting sub-topology also keeps them in a rows store.
   */
  private compileRows(name: string): void {
    const info = this.projectionInfos.find((i) => i.name === name)!;
    if (this.kinds.get(name) !== 'table' || info.rows) return;
    const sub = this.subs.find((s) => s.projection === name && s.emits)!;
    const windowed = info.window !== undefined;
    const store = sub.store(
      names.rowsStore(this.app, name),
      windowed
        ? `final rows by key and window start (queries read them); each leaves with its window (retention ${info.window!.retentionMs} ms)`
        : 'final rows by key (queries read them)',
    );
    sub.wrap(rowsRecorder({ projection: name, store, windowed }));
    sub.op(`keep each final row → store ${store}`);
    info.rows = storedRowsView(store);
  }

  /** `history`: the sub-topology that emits the projection also folds each row version into a store. */
  private compileHistory(name: string, p: ProjectionDef): void {
    if (!p.history) return;
    const at = `projections.${name}.history`;
    if (this.kinds.get(name) !== 'table')
      throw new TopologyError(`${at}: history keeps versions of a table's rows; ${name} is a stream`);
    const retentionMs = parseDuration(p.history.retention);
    if (retentionMs === undefined || retentionMs <= 0)
      throw new TopologyError(`${at}: retention must be a duration of more than 0`);
    const sub = this.subs.find((s) => s.projection === name && s.emits)!;
    const store = sub.store(names.historyStore(this.app, name), 'row versions by event time (asOf reads)');
    const spec = { projection: name, store, retentionMs, maxVersions: p.history.maxVersions };
    sub.wrap(historyRecorder(spec));
    sub.op(
      `record each row version by event time → store ${store} (retention ${retentionMs} ms${
        spec.maxVersions ? `, at most ${spec.maxVersions} versions` : ''
      })`,
    );
    this.projectionInfos.find((i) => i.name === name)!.history = {
      store,
      retentionMs,
      ...(spec.maxVersions ? { maxVersions: spec.maxVersions } : {}),
    };
  }

  private compileJoin(name: string, j: JoinDef, edge: Edge, scope: Scope): Edge {
    if (j.stream !== undefined) return this.compileStreamJoin(name, j, edge);
    const app = this.app;
    const at = `projections.${name}.join(${j.table})`;
    if (j.type === 'right') throw new TopologyError(`${at}: a right join needs a stream on both sides`);
    const right = this.input(j.table!);
    if (right.kind !== 'table')
      throw new TopologyError(`${at}: '${j.table}' is a stream; a join needs a table on the right`);
    const alias = aliasOf(j);
    const rightInput: TopicInput = { topic: right.topic, role: right.role, name: right.name };

    if (edge.kind === 'stream') {
      if (j.type === 'outer')
        throw new TopologyError(`${at}: a stream–table join is inner or left, not outer`);
      const type = j.type;
      const store = names.joinTableStore(app, name, alias);
      const out = port<StreamItem>();
      if (!j.on && edge.partitioned) {
        edge.sub.store(store, `the ${j.table} table for lookups`);
        this.read(edge.sub, rightInput, storeTable(store));
        edge.port.push = streamTableJoin(store, alias, type, out);
        edge.sub.op(`stream–table ${type} join ${j.table} as ${alias} on the key (lookup at arrival)`);
        return { ...edge, port: out };
      }
      // The join key is not the partitioning key: move events to the join key's partition.
      const on = j.on ? scope.compile(j.on) : undefined;
      const topic = names.joinRepartitionTopic(app, name, alias);
      edge.port.push = joinRepartition(topic, (item) =>
        on ? on.evaluate(scope.vars(item.value, item)) : item.key,
      );
      edge.sub.op(`repartition by ${j.on ?? 'the key'} → ${topic}`);
      const sub = this.newSub(`${name}-${alias}-join`, name);
      sub.store(store, `the ${j.table} table for lookups`);
      this.read(sub, rightInput, storeTable(store));
      this.exchange(
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
      const stores = {
        left: edge.sub.store(names.joinLeftStore(app, name, alias), 'the left rows of the join'),
        right: edge.sub.store(names.joinTableStore(app, name, alias), `the ${j.table} rows of the join`),
      };
      edge.port.push = pkJoinLeft(stores, alias, j.type, out);
      this.read(edge.sub, rightInput, pkJoinRight(stores, alias, j.type, out));
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
    };
    const left = edge.sub;
    left.store(spec.names.leftStore, 'left rows with their row hash and last joined row');
    edge.port.push = fkJoinLeft(spec, out);
    left.op(
      `foreign-key ${j.type} join ${j.table} as ${alias} on ${j.on}: subscribe → ${spec.names.subscriptionTopic}`,
    );
    const rightSub = this.newSub(`${name}-${alias}-fk`, name);
    rightSub.store(spec.names.subscriptionStore, 'left keys subscribed to each foreign key');
    rightSub.store(spec.names.rightStore, `the ${j.table} rows`);
    this.read(rightSub, rightInput, fkJoinRight(spec));
    this.exchange(
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
    this.exchange(
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
  private compileStreamJoin(name: string, j: JoinDef, edge: Edge): Edge {
    const right = this.input(j.stream!);
    const read = (input: TopicInput, handler: Handler) => this.read(edge.sub, input, handler);
    const out = buildStreamJoin(
      { app: this.app, projection: name, join: j, alias: aliasOf(j), right, read },
      edge,
    );
    return { ...edge, port: out };
  }

  private compileAggregate(name: string, p: ProjectionDef, edge: Edge, scope: Scope): void {
    const app = this.app;
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
    // windowed rows live in a rows store (compileRows); retention deletes them with their windows
    const rowsStore = names.rowsStore(app, name);
    const aggregate = window
      ? window.type === 'session'
        ? sessionWindowAggregate(store, window, out, rowsStore)
        : timeWindowAggregate(store, window, out, rowsStore)
      : mode === 'stream'
        ? streamAggregate(store, out)
        : tableAggregate(store, out);
    if (repartition) {
      const topic = names.repartitionTopic(app, name);
      deliver = viaTopic(topic);
      aggSub = this.newSub(`${name}-aggregate`, name);
      this.exchange(
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
    // Windowed rows are kept by compileRows (a rows store keyed by group key and window).
    if (window) {
      this.projectionInfos.find((i) => i.name === name)!.window = window;
      return;
    }
    // Each final row is a function of its group state: queries derive it, no rows store.
    aggSub.op(`queries derive each final row from its group state in ${store}`);
    this.projectionInfos.find((i) => i.name === name)!.rows = groupRowsView(store, out);
  }
}

export function joinsOf(p: ProjectionDef): JoinDef[] {
  if (!p.join) return [];
  return Array.isArray(p.join) ? p.join : [p.join];
}

const aliasOf = (j: JoinDef): string => j.as ?? joinTarget(j);
