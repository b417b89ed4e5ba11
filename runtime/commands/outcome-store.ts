// What a task keeps about its commands, in one changelogged store of the task (restored with its
// other stores, committed in the same transaction as the command's events):
//   i/<id>            → what the command id was used for (its command and a digest of its
//                       request) and its outcome (idempotency: a retry gets it back; another
//                       request under the same id is refused, not answered with this outcome);
//   o/<command>/<id>  → an outcome recorded before ids were recorded with their request (read
//                       while such outcomes can still be inside the horizon, see `layout`);
//   h/<seq>, n        → the horizon: the oldest outcome is dropped (projections/horizon/);
//   layout            → the horizon's seq when the store first recorded an `i/` outcome;
//   r/<event ref>     → an event the task applied when it appended it, until the group's offset
//                       passes it (the task skips it once when read back, runtime/tasks/task.ts
//                       AppliedAtAppend).
// Must not decide commands (executor.ts) nor talk to Kafka.
import { createHash } from 'node:crypto';
import type { ExpectedVersion } from '../../projections/commands/index.ts';
import { canonicalJson } from '../../projections/keys.ts';
import { BoundedEntries } from '../../projections/horizon/bounded-entries.ts';
import type { KeyValueStore } from '../../projections/store.ts';
import type { RawRecord } from '../formats/index.ts';

/** Header of every event a command appends: `<command>/<id>/<index>`. */
export const COMMAND_EVENT_HEADER = 'streamfold-command-event';

/** Outcomes kept per task (partition): a retry older than this many later commands decides again. */
export const DEFAULT_OUTCOME_HORIZON = 100_000;

export const outcomeStoreName = (application: string): string => `${application}-command-outcomes`;

export interface AppendedEvent {
  type: string;
  eventId: string | undefined;
  version: number;
  topic: string;
  partition: number;
  /** Known once the commit is acknowledged (absent from an outcome read back after a restart). */
  offset?: number;
}

export type StoredOutcome =
  | { outcome: 'accepted'; events: AppendedEvent[]; version: number; at: number }
  | { outcome: 'rejected'; rule: string; message: string; error?: string; at: number }
  | { outcome: 'conflict'; expected: ExpectedVersion; current: number; at: number };

/** A command id's record: the request it was first used for, and that request's outcome. */
export interface RecordedCommand {
  command: string;
  /** requestDigest() of the request; absent in outcomes recorded before requests were. */
  request?: string;
  outcome: StoredOutcome;
}

const recordKey = (id: string) => `i/${id}`;
const legacyOutcomeKey = (command: string, id: string) => `o/${command}/${id}`;
const LAYOUT_KEY = 'layout';

/**
 * What makes two requests under one id the same request: the body (canonical JSON, so a client
 * that re-serializes it with its keys in another order still retries) and the expectedVersion
 * override. The command's name is compared apart.
 */
export function requestDigest(body: unknown, expectedVersion: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(body))
    .update('\n')
    .update(canonicalJson(expectedVersion ?? null))
    .digest('base64url')
    .slice(0, 22);
}

/**
 * An outcome whose events are its own objects (the only part anyone changes later: a reply's events
 * get their offsets); other outcomes are never changed, so they are kept as they are. structuredClone
 * of the whole outcome was 2% of an instance's CPU at 64 clients.
 */
export function withOwnEvents(outcome: StoredOutcome): StoredOutcome {
  return outcome.outcome === 'accepted'
    ? { ...outcome, events: outcome.events.map((e) => ({ ...e })) }
    : outcome;
}

export class OutcomeStore {
  private readonly entries: BoundedEntries<unknown>;

  constructor(
    private readonly store: KeyValueStore<unknown>,
    private readonly horizon: number,
  ) {
    this.entries = new BoundedEntries(store, horizon);
  }

  /**
   * The record of a command id, whatever command it was used for; `command` finds an outcome
   * recorded before ids were recorded with their request (such a record has no `request`).
   */
  find(command: string, id: string): RecordedCommand | undefined {
    const record = this.entries.get(recordKey(id)) as RecordedCommand | undefined;
    if (record !== undefined || !this.mayHoldLegacy()) return record;
    const legacy = this.entries.get(legacyOutcomeKey(command, id)) as StoredOutcome | undefined;
    return legacy === undefined ? undefined : { command, outcome: legacy };
  }

  /** The outcome of `command` under `id`, if the id was used for that command. */
  get(command: string, id: string): StoredOutcome | undefined {
    const record = this.find(command, id);
    return record?.command === command ? record.outcome : undefined;
  }

  /** Records an outcome and forgets the one that fell out of the horizon. */
  put(command: string, id: string, request: string, outcome: StoredOutcome): void {
    if (this.store.get(LAYOUT_KEY) === undefined) this.store.put(LAYOUT_KEY, this.store.get('n') ?? 0);
    this.entries.put(recordKey(id), { command, request, outcome } satisfies RecordedCommand);
  }

  /**
   * Whether outcomes of the earlier layout can still be inside the horizon: the store recorded
   * some (its horizon had begun) and fewer than `horizon` outcomes were recorded since.
   */
  private mayHoldLegacy(): boolean {
    const next = this.store.get('n') as number | undefined;
    if (next === undefined) return false;
    const since = this.store.get(LAYOUT_KEY) as number | undefined;
    return since === undefined ? next > 0 : since > 0 && next - since < this.horizon;
  }

  /** Marks an event as applied at append: its read-back is skipped once. */
  markApplied(ref: string): void {
    this.store.put(`r/${ref}`, 1);
  }

  /** The mark of `raw` when it is an event this task applied when it appended it. */
  markOf(raw: RawRecord): string | undefined {
    const ref = raw.headers?.[COMMAND_EVENT_HEADER];
    return ref !== undefined && this.store.get(`r/${ref}`) !== undefined ? ref : undefined;
  }

  /** Deletes marks: their events are behind the offsets the same commit stores. */
  forget(refs: Iterable<string>): void {
    for (const ref of refs) this.store.delete(`r/${ref}`);
  }
}
