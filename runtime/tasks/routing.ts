// Which sub-topologies read each input topic, and how that topic's records are decoded. The same
// for every task: each task runs every sub-topology on its partition of every input topic.
// Pure set-up from the topology: must not hold per-task state.
import type { Definition, ProjectionDef } from '../../projections/definition/schema.ts';
import type { SubTopology, Topology } from '../../projections/graph/topology.ts';
import { type SourceReader, sourceReader } from '../../projections/operators/source.ts';
import { isRow } from '../../projections/operators/types.ts';
import type { InputRecord } from '../../projections/records.ts';
import { decoderFor, type TopicDecoder, type TopicRole } from '../formats/index.ts';
import { sourceCodec } from '../formats/registry/index.ts';
import { sourceDecoder } from '../formats/source-decoder.ts';
import type { EntityCheck } from '../sources/entity-check.ts';
import type { TaskProjection } from './task.ts';

export interface TopicRoute {
  topic: string;
  role: TopicRole;
  decoder: TopicDecoder;
  /** Registry formats: fetches the schemas a batch's values need, before it is decoded. */
  prepare?: (values: Iterable<Buffer | null>) => Promise<void>;
  /** Source topics: the checks on each record's entity key (their partition count is set at start). */
  entity?: EntityCheck;
  /**
   * A decoded record's event time as the operators read it: the source's `time` (after upcasting),
   * else the record timestamp (exchange records carry theirs in the decoded timestamp already).
   */
  eventTime: (record: InputRecord) => number;
  subs: SubTopology[];
}

export function topicRoutes(topology: Topology, definition: Definition): Map<string, TopicRoute> {
  const routes = new Map<string, TopicRoute>();
  for (const sub of topology.subTopologies) {
    for (const input of sub.inputs) {
      let route = routes.get(input.topic);
      if (!route) {
        const source = input.role === 'source' ? definition.sources[input.name] : undefined;
        const checked = source
          ? sourceDecoder(definition, input.name, sourceCodec(definition, input.name))
          : undefined;
        const decoder: TopicDecoder = checked ?? decoderFor({ role: input.role });
        route = {
          topic: input.topic,
          role: input.role,
          decoder,
          prepare: checked?.prepare,
          entity: checked?.entity,
          eventTime: source ? sourceEventTime(sourceReader(source)) : (record) => record.timestamp,
          subs: [],
        };
        routes.set(input.topic, route);
      }
      route.subs.push(sub);
    }
  }
  return routes;
}

function sourceEventTime(reader: SourceReader): (record: InputRecord) => number {
  return (record) => {
    const value = record.value;
    if (!isRow(value)) return record.timestamp;
    // Upcast events are read in their current shape; an event split in several takes the first's time.
    const event = reader.upcast ? (reader.upcast(value, record)[0] ?? value) : value;
    return reader.time(event, record.timestamp);
  };
}

/** Each projection as tasks see it: its records topic, its kind, and where its late records go. */
export function taskProjections(topology: Topology, definition: Definition): Map<string, TaskProjection> {
  return new Map(
    topology.projections.map((p) => [
      p.name,
      {
        topic: p.topic,
        kind: p.kind,
        lateToDeadLetter: definition.projections[p.name]?.late === 'deadLetter',
        ...(p.window ? { windowed: true } : {}),
        ...(p.window && binaryKeyed(definition.projections[p.name]?.output)
          ? { binaryWindowedKey: p.window.type }
          : {}),
      },
    ]),
  );
}

const binaryKeyed = (output: ProjectionDef['output']): boolean =>
  output !== undefined && output !== false && output.windowedKey === 'binary';

/** Every store of the topology: each task holds all of them (one LevelDB database per task). */
export function storeNames(topology: Topology): string[] {
  return [...new Set(topology.subTopologies.flatMap((s) => s.stores.map((st) => st.name)))].sort();
}
