// The state of one compilation (TopologyBuilder): the definition, each projection's kind and info,
// and the sub-topologies and exchange topics built so far, with the steps every part of the
// compiler shares: resolving an input, adding a sub-topology, linking two by an exchange topic and
// reading a topic (a re-keyed source through its `source-repartition` topic).
import {
  joinTarget,
  type Definition,
  type JoinDef,
  type ProjectionDef,
  type SourceDef,
} from '../definition/schema.ts';
import type { Handler } from '../operators/source.ts';
import { fromSourceRepartition, reKeysSource, sourceRepartition } from '../operators/source-repartition.ts';
import { TopologyError } from '../operators/types.ts';
import { names } from './names.ts';
import { type Kind, SubBuilder } from './sub-topology-builder.ts';
import type { ExchangeSpec, FirstWriterWinsInfo, ProjectionInfo, TopicInput } from './topology.ts';

export interface ResolvedInput {
  name: string;
  kind: Kind;
  topic: string;
  role: 'source' | 'projection';
  source?: SourceDef;
}

export class TopologyBuilder {
  readonly app: string;
  readonly kinds = new Map<string, Kind>();
  readonly subs: SubBuilder[] = [];
  readonly exchanges: ExchangeSpec[] = [];
  readonly projectionInfos: ProjectionInfo[] = [];
  readonly firstWriterWins: FirstWriterWinsInfo[] = [];

  constructor(readonly def: Definition) {
    this.app = def.application;
  }

  input(name: string): ResolvedInput {
    const source = this.def.sources[name];
    if (source) return { name, kind: source.kind, topic: source.topic, role: 'source', source };
    const info = this.projectionInfos.find((p) => p.name === name);
    if (!info) throw new TopologyError(`unknown source or projection '${name}'`);
    return { name, kind: info.kind, topic: info.topic!, role: 'projection' };
  }

  newSub(id: string, projection: string): SubBuilder {
    const sub = new SubBuilder(id, projection);
    this.subs.push(sub);
    return sub;
  }

  exchange(spec: ExchangeSpec, writer: SubBuilder, reader: SubBuilder, handler: Handler): void {
    this.exchanges.push(spec);
    writer.send(spec.topic);
    reader.read({ topic: spec.topic, role: 'exchange', name: spec.purpose }, handler);
  }

  /**
   * `sub` reads `input` with `handler`; a source that is re-keyed (`reKeysSource`) through its
   * repartition topic, written by a sub-topology of the same projection that re-keys the source.
   */
  read(sub: SubBuilder, input: TopicInput, handler: Handler): void {
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
}

export function joinsOf(p: ProjectionDef): JoinDef[] {
  if (!p.join) return [];
  return Array.isArray(p.join) ? p.join : [p.join];
}

export const aliasOf = (j: JoinDef): string => j.as ?? joinTarget(j);
