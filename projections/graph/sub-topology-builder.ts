// A sub-topology while the compiler builds it (SubBuilder), and the current end of a projection's
// pipeline within it (Edge): the inputs it reads, the stores it owns, the topics it writes and the
// operator lines `describe` prints, plus the record and punctuation entry points the runtime calls.
import type { Handler } from '../operators/source.ts';
import type { Port, ProcessorContext } from '../operators/types.ts';
import type { InputRecord } from '../records.ts';
import type { StoreSpec, SubTopology, TopicInput } from './topology.ts';

export type Kind = 'stream' | 'table';

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
