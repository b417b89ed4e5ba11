// The pure executor: runs every sub-topology of a topology in one process over in-memory stores,
// as if each topic had one partition. Exchange records and projection records are delivered at
// once, depth-first, so outputs come in the order ksqlDB produces them with caching off (a row
// leaving group A is emitted before it joins group B). Used by `streamfold test`, the ksqlDB
// conformance suite and as the oracle for the runtime's end-to-end tests.
import {
  MemoryStore,
  MemoryStoreProvider,
  type KeyRange,
  type KeyValueStore,
  type StoreProvider,
} from '../store.ts';
import type { InputRecord, OutputRecord } from '../records.ts';
import type { LateRecord, ProcessorContext } from '../operators/types.ts';
import type { SubTopology, Topology } from './topology.ts';

export interface ExecutorOptions {
  /**
   * Round-trip exchange values and store values through JSON, as Kafka and LevelDB will. Catches
   * state that would not survive the runtime; costs speed (off in benchmarks).
   */
  json?: boolean;
  /** Called for every output record (besides collecting them in `outputs`). */
  onOutput?: (record: OutputRecord) => void;
  /** Keep output records in `outputs` (default true). */
  collect?: boolean;
}

export type ExecutorInput = Pick<InputRecord, 'topic' | 'key' | 'value'> & Partial<InputRecord>;

/** A store that keeps JSON text, so values behave as after a trip through LevelDB. */
class JsonStore implements KeyValueStore {
  private readonly inner = new MemoryStore<string>();
  get(key: string): unknown {
    const s = this.inner.get(key);
    return s === undefined ? undefined : JSON.parse(s);
  }
  put(key: string, value: unknown): void {
    this.inner.put(key, JSON.stringify(value));
  }
  delete(key: string): void {
    this.inner.delete(key);
  }
  async *scan(range?: KeyRange): AsyncIterable<[string, unknown]> {
    for await (const [k, v] of this.inner.scan(range)) yield [k, JSON.parse(v)];
  }
}

class JsonStoreProvider implements StoreProvider {
  readonly stores = new Map<string, JsonStore>();
  store<V>(name: string): KeyValueStore<V> {
    let s = this.stores.get(name);
    if (!s) this.stores.set(name, (s = new JsonStore()));
    return s as KeyValueStore<V>;
  }
}

export class Executor {
  readonly outputs: OutputRecord[] = [];
  /** Records windowed operators dropped because their window had closed. */
  readonly late: LateRecord[] = [];
  readonly stores: StoreProvider;
  private readonly routes = new Map<string, SubTopology[]>();
  private readonly topicOfProjection = new Map<string, string>();
  private readonly offsets = new Map<string, number>();
  private readonly ctx: ProcessorContext;

  constructor(
    readonly topology: Topology,
    private readonly options: ExecutorOptions = {},
  ) {
    this.stores = options.json ? new JsonStoreProvider() : new MemoryStoreProvider();
    for (const sub of topology.subTopologies) {
      for (const input of sub.inputs) {
        const list = this.routes.get(input.topic) ?? [];
        list.push(sub);
        this.routes.set(input.topic, list);
      }
    }
    for (const p of topology.projections) if (p.topic) this.topicOfProjection.set(p.name, p.topic);
    const json = options.json === true;
    const collect = options.collect !== false;
    this.ctx = {
      stores: this.stores,
      emit: (record) => {
        if (collect) this.outputs.push(record);
        options.onOutput?.(record);
        const topic = this.topicOfProjection.get(record.projection);
        if (topic && this.routes.has(topic)) {
          this.deliver({ topic, key: record.key, value: record.value, timestamp: record.timestamp });
        }
      },
      late: (record) => this.late.push(record),
      send: (topic, key, value) => {
        const v = json ? JSON.parse(JSON.stringify(value)) : value;
        this.deliver({ topic, key, value: v, timestamp: (v as { t?: number }).t ?? 0 });
      },
    };
  }

  /** Topics this topology reads (sources, projection records, exchanges). */
  readsTopic(topic: string): boolean {
    return this.routes.has(topic);
  }

  /** Processes one input record and everything it causes, depth-first. */
  process(record: ExecutorInput): void {
    this.deliver(record);
  }

  private deliver(record: ExecutorInput): void {
    const subs = this.routes.get(record.topic);
    if (!subs) return;
    const offset = record.offset ?? this.offsets.get(record.topic) ?? 0;
    this.offsets.set(record.topic, offset + 1);
    const full: InputRecord = {
      topic: record.topic,
      partition: record.partition ?? 0,
      offset,
      key: record.key ?? null,
      value: record.value ?? null,
      timestamp: record.timestamp ?? 0,
      headers: record.headers,
    };
    for (const sub of subs) sub.process(full, this.ctx);
  }

  /** What the runtime does at commit: emits what became due by stream time (SubTopology.punctuate). */
  punctuate(): void {
    for (const sub of this.topology.subTopologies) sub.punctuate?.(this.ctx);
  }

  /** Outputs of one projection, in order. */
  outputsOf(projection: string): OutputRecord[] {
    return this.outputs.filter((o) => o.projection === projection);
  }
}
