// Registry formats of output topics: records of projections whose output declares a registry format
// are buffered as JSON and re-encoded at commit with the subject's latest schema. A row the schema
// does not accept becomes a dead letter instead of failing every commit from now on.
//
// A commit sink (commit-sink.ts): rewrites the commit's records in place. Must not buffer anything
// across commits, nor decide about the commit (a registry error other than a rejected row throws,
// and the coordinator rolls the commit back).
import type { Definition } from '../../projections/definition/schema.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import { outputEncoder } from '../formats/registry/index.ts';
import type { Logger } from '../log/logger.ts';
import type { TaskCommit } from '../tasks/index.ts';
import type { CommitSink } from './commit-sink.ts';
import type { DeadLetters } from './dead-letters.ts';
import { describeError, UserError } from './errors.ts';

interface TopicEncoder {
  projection: string;
  encode: (v: Record<string, unknown>) => Promise<Buffer>;
}

export class OutputEncoding implements CommitSink {
  /** Output topic → encoder, for projections whose output has a registry format. */
  private readonly encoders = new Map<string, TopicEncoder>();

  /** Throws UserError when another projection reads a registry-format output (feeds are JSON). */
  constructor(
    topology: Topology,
    definition: Definition,
    private readonly deadLetters: DeadLetters,
    private readonly logger: Logger,
  ) {
    for (const p of topology.projections) {
      const encode = p.topic ? outputEncoder(definition, p.name) : undefined;
      if (!encode || !p.topic) continue;
      if (topology.subTopologies.some((s) => s.inputs.some((i) => i.topic === p.topic)))
        throw new UserError(
          `projections.${p.name}.output.format: another projection reads ${p.topic}; internal feeds are JSON (drop the format or read the projection by name)`,
        );
      this.encoders.set(p.topic, { projection: p.name, encode });
    }
  }

  /** Re-encodes the commit's records of registry-format outputs (buffered as JSON). */
  async collect(c: TaskCommit): Promise<void> {
    if (this.encoders.size === 0) return;
    for (const t of c.records) {
      const encoder = this.encoders.get(t.topic);
      if (!encoder) continue;
      const kept: typeof t.messages = [];
      for (const m of t.messages) {
        if (m.value === null) {
          kept.push(m);
          continue;
        }
        const json = m.value;
        try {
          m.value = await encoder.encode(JSON.parse(json.toString('utf8')) as Record<string, unknown>);
          kept.push(m);
        } catch (err) {
          if ((err as Error).name !== 'RegistryEncodeError') throw err;
          const origin = {
            topic: t.topic,
            partition: c.task,
            offset: -1,
            key: m.key === null || Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key, 'utf8'),
            value: json,
            timestamp: Number(m.timestamp),
            headers: m.headers,
          };
          this.deadLetters.addOutput(c.task, origin, err, encoder.projection);
          this.logger.warn(
            { topic: t.topic, err: describeError(err) },
            'an output row does not fit its schema',
          );
        }
      }
      t.messages = kept;
    }
  }
}
