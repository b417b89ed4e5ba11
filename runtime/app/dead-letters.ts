// Dead letters of a running application: per task, the dead letters of the records processed since
// its last commit (poison records from the tasks, output rows their registry schema rejects), handed
// to the commit that covers those records, dropped when the task rolls back; and the counts per
// kind since start (status pages, metrics).
//
// A commit sink (commit-sink.ts). Must not send anything itself: the commit's transport writes the
// dead letters with the commit (before its offsets, or inside its transaction).
import type { Definition } from '../../projections/definition/schema.ts';
import type { PoisonHandler } from '../formats/index.ts';
import { DeadLetterBuffer, type DeadLetterKind, kindOfPoison, type OriginRecord } from '../dlq/index.ts';
import type { TaskCommit } from '../tasks/index.ts';
import type { CommitSink } from './commit-sink.ts';

export type DeadLetterStage = 'decode' | 'process' | 'output';

export class DeadLetters implements CommitSink {
  /** Dead letters per kind since start (what metrics read). */
  readonly counts = new Map<DeadLetterKind, number>();
  /** Per task: dead letters of the records processed since its last commit. */
  private readonly buffers = new Map<number, DeadLetterBuffer>();

  constructor(
    private readonly definition: Definition,
    private readonly onDeadLetter?: (kind: DeadLetterKind, topic: string, stage: DeadLetterStage) => void,
  ) {}

  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  /**
   * The tasks' poison handler: `log` first (log and count), then the dead letter, then `also`
   * (ApplicationOptions.onPoison).
   */
  poisonHandler(log: PoisonHandler, also?: PoisonHandler): PoisonHandler {
    return (p) => {
      log(p);
      this.buffer(p.task).addPoison(p, p.projection);
      this.count(kindOfPoison(p.kind), p.raw.topic, p.stage);
      also?.(p);
    };
  }

  /** An output row the commit could not write (stage 'output'). */
  addOutput(task: number, origin: OriginRecord, err: unknown, projection: string): void {
    this.buffer(task).add(origin, err, projection);
    this.count('process', origin.topic, 'output');
  }

  /** The task's pending dead letters, taken out of its buffer for the commit that covers their records. */
  async collect(commit: TaskCommit): Promise<void> {
    let out: TaskCommit['deadLetters'] = [];
    await this.buffers.get(commit.task)?.flush({
      sendBatch: async ({ topicMessages }) => {
        out = topicMessages;
      },
    });
    commit.deadLetters = out;
  }

  rollback(task: number): void {
    this.buffers.get(task)?.discard();
  }

  close(task: number): void {
    this.buffers.get(task)?.discard();
  }

  private buffer(task: number): DeadLetterBuffer {
    let buffer = this.buffers.get(task);
    if (!buffer) this.buffers.set(task, (buffer = new DeadLetterBuffer(this.definition)));
    return buffer;
  }

  private count(kind: DeadLetterKind, topic: string, stage: DeadLetterStage): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    try {
      this.onDeadLetter?.(kind, topic, stage);
    } catch {
      // a metrics hook must not stop processing
    }
  }
}
