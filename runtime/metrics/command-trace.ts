// A timing trace of commands through the write path, for finding where their latency goes; off
// unless STREAMFOLD_COMMAND_TRACE names a file. Then every answered command appends one JSON line
// with the time (ms since it reached its owner) at each step: lock acquired, decided, its commit's
// prepare (after waiting for the commit in flight and the lock), the transaction's steps (produce,
// offsets, end), the LevelDB completion and the answer, plus the Kafka requests its task's producer
// made during that transaction (count and ms per API: AddPartitionsToTxn more than once means the
// broker refused it, CONCURRENT_TRANSACTIONS, and kafkajs retried). The HTTP route adds when the
// server received the request and one line per answered request with its time in the server.
// `bench/commands/trace-summary.ts` turns the file into medians and p99 per phase.
//
// Owns only the recording; the executor, the commit coordinator and the transport fill it in.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** One task's transaction of one commit: performance.now() at each step. */
export interface CommitTrace {
  /** The commit loop saw the request, after the previous commit (if any) completed. */
  settled?: number;
  /** Under the processing lock: the commit starts being prepared. */
  locked?: number;
  /** The sinks' housekeeping before prepare done (dedup purges), for every task of the commit. */
  purged?: number;
  /** Every task's stores and buffers prepared (changelog records). */
  storesPrepared?: number;
  /** Prepared: changelog records, buffers, sinks collected. */
  prepared?: number;
  /** transaction() returned. */
  begun?: number;
  /** Every record produced (AddPartitionsToTxn + Produce, retries included). */
  sent?: number;
  /** Offsets added (AddOffsetsToTxn + TxnOffsetCommit). */
  offsets?: number;
  /** EndTxn answered. */
  ended?: number;
  /** Every task's transaction of this commit ended (they are awaited together). */
  allEnded?: number;
  /** LevelDB written (the task's completeCommit). */
  completed?: number;
  /** Requests of the task's producer during the transaction: API → [count, ms answered, ms queued]. */
  requests: Record<string, [number, number, number]>;
  tasksInCommit?: number;
}

export interface CommandTimes {
  /** The HTTP server received the request (absent: not through HTTP, or forwarded to this owner). */
  httpReceived?: number;
  received: number;
  locked?: number;
  decided?: number;
  commit?: CommitTrace;
  answered?: number;
}

class CommandTrace {
  private lines: string[] = [];

  /** The event loop's delay (a request waits that long before the server even reads it). */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 5 });

  constructor(private readonly file: string) {
    this.loopDelay.enable();
    setInterval(() => this.flush(), 500).unref();
    setInterval(() => this.recordLoopDelay(), 5_000).unref();
    process.on('exit', () => this.flush());
  }

  /** Every 5 s, the event loop's delay since the last line (ms): median, p99, max. */
  private recordLoopDelay(): void {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const h = this.loopDelay;
    this.lines.push(
      JSON.stringify({ loopDelay: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) } }),
    );
    h.reset();
  }

  /** One line per answered command, the steps relative to `received`. */
  record(command: string, id: string, t: CommandTimes): void {
    const at = (v: number | undefined) => (v === undefined ? null : Math.round((v - t.received) * 100) / 100);
    const c = t.commit;
    this.lines.push(
      JSON.stringify({
        command,
        id,
        httpReceived: at(t.httpReceived),
        locked: at(t.locked),
        decided: at(t.decided),
        settled: at(c?.settled),
        commitLocked: at(c?.locked),
        purged: at(c?.purged),
        storesPrepared: at(c?.storesPrepared),
        prepared: at(c?.prepared),
        begun: at(c?.begun),
        sent: at(c?.sent),
        offsets: at(c?.offsets),
        ended: at(c?.ended),
        allEnded: at(c?.allEnded),
        completed: at(c?.completed),
        answered: at(t.answered),
        tasksInCommit: c?.tasksInCommit,
        requests: c?.requests,
      }),
    );
  }

  /** The HTTP side of a command: from the request received to its answer handed to the socket. */
  recordHttp(id: string, totalMs: number): void {
    this.lines.push(JSON.stringify({ http: id, totalMs: Math.round(totalMs * 100) / 100 }));
  }

  flush(): void {
    if (this.lines.length === 0) return;
    appendFileSync(this.file, this.lines.join('\n') + '\n');
    this.lines = [];
  }
}

const file = process.env.STREAMFOLD_COMMAND_TRACE;
/** The trace, when STREAMFOLD_COMMAND_TRACE is set; undefined otherwise (nothing is recorded). */
export const commandTrace: CommandTrace | undefined = file ? new CommandTrace(file) : undefined;
