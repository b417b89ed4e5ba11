// Compiles a windowed stream–stream join (`join: { stream, within, grace?, unmatched? }`): both
// sides are buffered in window stores of the left stream's sub-topology, which also reads the
// right stream's topic (the two must be co-partitioned by key).
import type { JoinDef } from '../definition/schema.ts';
import { parseDuration } from '../history/duration.ts';
import {
  emitClosedUnmatched,
  type JoinReads,
  type StreamJoinSpec,
  streamJoinSide,
} from '../operators/join-stream-stream.ts';
import { type Handler, sourceReader, streamSource } from '../operators/source.ts';
import { type Port, port, type StreamItem, TopologyError } from '../operators/types.ts';
import type { Edge } from './sub-topology-builder.ts';
import type { ResolvedInput } from './topology-builder.ts';
import { names } from './names.ts';
import type { TopicInput } from './topology.ts';

export interface StreamJoinSite {
  app: string;
  projection: string;
  join: JoinDef;
  alias: string;
  right: ResolvedInput;
  /** Reads an input into `edge.sub` (a repartitioned source through its repartition topic). */
  read: (input: TopicInput, handler: Handler) => void;
  /** What the projection's expressions read after the join (asked once records flow). */
  reads?: () => JoinReads;
}

/** Wires the join after `edge`; returns the port its joined (and null-padded) records leave by. */
export function buildStreamJoin(site: StreamJoinSite, edge: Edge): Port<StreamItem> {
  const { app, projection: name, join: j, alias, right } = site;
  const at = `projections.${name}.join(${j.stream})`;
  if (edge.kind !== 'stream' || right.kind !== 'stream')
    throw new TopologyError(`${at}: a stream–stream join needs streams on both sides`);
  if (!edge.partitioned)
    throw new TopologyError(`${at}: the left stream was re-keyed by an earlier join; join on the key first`);
  const within = j.within!;
  const bounds =
    typeof within === 'object'
      ? { before: within.before, after: within.after }
      : { before: within, after: within };
  const spec: StreamJoinSpec = {
    projection: name,
    alias,
    type: j.type,
    beforeMs: parseDuration(bounds.before) ?? 0,
    afterMs: parseDuration(bounds.after) ?? 0,
    graceMs: j.grace === undefined ? 0 : (parseDuration(j.grace) ?? 0),
    unmatched: j.unmatched ?? 'onClose',
    stores: {
      left: names.streamJoinStore(app, name, alias, 'left'),
      right: names.streamJoinStore(app, name, alias, 'right'),
      unmatched: names.streamJoinStore(app, name, alias, 'unmatched'),
    },
    reads: site.reads,
  };
  const sub = edge.sub;
  const retention = spec.beforeMs + spec.afterMs + spec.graceMs;
  sub.store(spec.stores.left, `the left records of the join with ${j.stream}, kept ${retention} ms`);
  sub.store(spec.stores.right, `the ${j.stream} records of the join, kept ${retention} ms`);
  sub.store(spec.stores.unmatched, 'unmatched records held until their join window closes, and stream time');
  const out = port<StreamItem>();
  if (spec.type !== 'inner' && spec.unmatched === 'onClose')
    sub.onPunctuate((ctx) => emitClosedUnmatched(spec, ctx, out));
  edge.port.push = streamJoinSide(spec, 'left', out);
  const rightPort = port<StreamItem>();
  rightPort.push = streamJoinSide(spec, 'right', out);
  site.read(
    { topic: right.topic, role: right.role, name: right.name },
    streamSource(sourceReader(right.source), rightPort),
  );
  sub.op(
    `stream–stream ${j.type} join ${j.stream} as ${alias} on the key within ${spec.beforeMs} ms before / ${spec.afterMs} ms after, grace ${spec.graceMs} ms; unmatched rows ${spec.unmatched === 'eager' ? 'at once' : 'once the window closes'}`,
  );
  return out;
}
