// runCommandFixture: appends the given events through the pure engine, sends each command with
// the state and entity version the engine holds at that point, compares its outcome with `then`,
// and appends the events of accepted commands, so later commands see them.
import { compileExpression, type CompiledExpression } from '../../expressions/index.ts';
import type { Definition, SourceDef } from '../../definition/schema.ts';
import { compileTopology } from '../../graph/compile.ts';
import { Executor } from '../../graph/executor.ts';
import { canonicalJson, encodeKey } from '../../keys.ts';
import { type FixtureInput, FixtureError } from '../../testing/fixture.ts';
import { compareProjection, finalTable } from '../../testing/run.ts';
import { tableKey, windowedKey } from '../../windows/keys.ts';
import { type CompiledCommand, compileCommands, type Decision, sourceField } from '../compile.ts';
import { validateInput } from '../input.ts';
import { commandStateProjections } from '../state.ts';
import { checkEventVersion } from '../versions.ts';
import type { CommandFixture, CommandStep, Then } from './fixture.ts';

export interface CommandStepResult {
  readonly index: number;
  readonly command: string;
  readonly decision: Decision;
  /** Readable differences; empty when the outcome matched. */
  readonly diff: string[];
}

export interface CommandFixtureResult {
  readonly name: string;
  readonly file?: string | undefined;
  readonly passed: boolean;
  readonly steps: CommandStepResult[];
  /** Differences of rejectedGiven and expected tables. */
  readonly diff: string[];
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : canonicalJson(v));

/** The definition plus the hidden projections behind inline command state. */
export function withCommandState(definition: Definition): Definition {
  const hidden = Object.fromEntries(commandStateProjections(definition.commands));
  return { ...definition, projections: { ...definition.projections, ...hidden } };
}

/** The log as the engine sees it: entity versions per source, first-writer-wins applied on append. */
class EntityLog {
  private readonly versions = new Map<string, number>();
  private readonly sources = new Map<string, { source: SourceDef; key: CompiledExpression | undefined }>();
  readonly rejected: { index: number; reason: string }[] = [];
  lastTimestamp = 0;
  /** Per topic, the newest event time appended: a windowed state's stream time (one partition here). */
  private readonly newest = new Map<string, number>();

  constructor(
    definition: Definition,
    private readonly executor: Executor,
  ) {
    for (const source of Object.values(definition.sources)) {
      if (source.kind === 'stream' && !this.sources.has(source.topic)) {
        this.sources.set(source.topic, {
          source,
          key: source.key ? compileExpression(source.key) : undefined,
        });
      }
    }
  }

  newestOf(topic: string): number {
    return this.newest.get(topic) ?? -1;
  }

  version(topic: string, key: unknown): number {
    return this.versions.get(`${topic}\u0000${encodeKey(key)}`) ?? 0;
  }

  /** Appends one record; returns false when first-writer-wins rejects it (it is then not applied). */
  append(record: FixtureInput, index: number): boolean {
    this.lastTimestamp = Math.max(this.lastTimestamp, record.timestamp);
    this.newest.set(
      record.topic,
      Math.max(this.newestOf(record.topic), eventTime(record, this.sources.get(record.topic)?.source)),
    );
    const entry = this.sources.get(record.topic);
    const value = record.value as Record<string, unknown> | null;
    const key = entry?.key && value ? entry.key.evaluate(value) : record.key;
    const current = entry ? this.version(record.topic, key) : 0;
    const { source } = entry ?? {};
    if (source?.conflicts === 'first-writer-wins' && source.entityVersion) {
      const check = checkEventVersion(current, value?.[source.entityVersion], source.entityVersion);
      if (!check.accepted) {
        this.rejected.push({ index, reason: check.reason });
        return false;
      }
    }
    this.executor.process({ ...record, key: record.key ?? null, value: record.value ?? null });
    if (entry && key !== null && key !== undefined)
      this.versions.set(`${record.topic}\u0000${encodeKey(key)}`, current + 1);
    return true;
  }
}

export function runCommandFixture(fixture: CommandFixture): CommandFixtureResult {
  const definition = withCommandState(fixture.definition);
  const commands = compileCommands(fixture.definition);
  const executor = new Executor(compileTopology(definition), { json: true });
  const log = new EntityLog(definition, executor);
  fixture.given.forEach((record, i) => log.append(record, i));

  const steps = fixture.steps.map((step, i): CommandStepResult => {
    const command = commands.get(step.command);
    if (!command) {
      throw new FixtureError(
        `${fixture.name}: step ${i + 1} sends ${step.command}, which the definition does not declare`,
      );
    }
    const decision = send(command, step, i, log, executor);
    if (decision.outcome === 'accepted') {
      for (const e of decision.events) {
        log.append({ topic: e.topic, key: e.key, value: e.value, timestamp: e.timestamp }, -1);
      }
    }
    return { index: i, command: step.command, decision, diff: compareOutcome(step.then, decision, command) };
  });

  const diff: string[] = [];
  if (fixture.rejectedGiven) {
    const got = log.rejected.filter((r) => r.index >= 0);
    if (show(got.map((r) => r.index)) !== show(fixture.rejectedGiven)) {
      diff.push(
        `  rejected given events: expected ${show(fixture.rejectedGiven)}, got ${show(got.map((r) => r.index))}`,
      );
      for (const r of got) diff.push(`    given ${r.index}: ${r.reason}`);
    }
  }
  for (const [name, expected] of Object.entries(fixture.expected ?? {})) {
    const result = compareProjection(name, expected, executor.outputsOf(name));
    if (result.diff) diff.push(result.diff);
  }
  return {
    name: fixture.name,
    file: fixture.file,
    passed: diff.length === 0 && steps.every((s) => s.diff.length === 0),
    steps,
    diff,
  };
}

/** Reads the command's state from the engine's tables and decides. */
function send(
  command: CompiledCommand,
  step: CommandStep,
  i: number,
  log: EntityLog,
  executor: Executor,
): Decision {
  const now = step.now ?? log.lastTimestamp;
  const valid = validateInput(command.def, step.input);
  const state: Record<string, unknown> = {};
  const streamTimes: Record<string, number> = {};
  let version = 0;
  if (valid.input) {
    for (const read of command.stateReads(valid.input, now)) {
      if (read.window) streamTimes[read.name] = log.newestOf(command.entity.topic);
      const key = read.window ? tableKey(windowedKey(read.key, read.window)) : encodeKey(read.key);
      state[read.name] = finalTable(executor.outputsOf(read.projection)).get(key) ?? null;
    }
    version = log.version(command.entity.topic, command.keyOf(valid.input));
  }
  const id = step.id ?? `command-${i + 1}`;
  return command.decide({
    input: step.input,
    state,
    version,
    expectedVersion: step.expectedVersion,
    now,
    eventId: (n) => `${id}-${n + 1}`,
    streamTimes,
  });
}

function describeDecision(d: Decision): string {
  switch (d.outcome) {
    case 'accepted':
      return `accepted with ${d.events.length} event(s), version ${d.newVersion}`;
    case 'rejected':
      return `rejected by rule ${d.rule}: ${d.message}${d.error ? ` (${d.error})` : ''}`;
    case 'conflict':
      return `a version conflict (expected ${show(d.expected)}, current ${d.current})`;
    case 'invalid':
      return `invalid input: ${d.errors.map((e) => `${e.field || '(body)'} ${e.message}`).join('; ')}`;
  }
}

function compareOutcome(then: Then, d: Decision, command: CompiledCommand): string[] {
  const want = then.events ? 'accepted' : then.rejected ? 'rejected' : then.conflict ? 'conflict' : 'invalid';
  if (d.outcome !== want) return [`expected ${want}, got ${describeDecision(d)}`];
  const diff: string[] = [];
  if (d.outcome === 'accepted') {
    const expected = then.events ?? [];
    const { idField, timeField } = command.entity;
    const n = Math.max(expected.length, d.events.length);
    for (let i = 0; i < n; i++) {
      const w = expected[i];
      const value = d.events[i] ? { ...d.events[i]!.value } : undefined;
      // the runtime fills in ids and times: compared only when the fixture lists them
      for (const f of [idField, timeField]) if (value && f && w && !(f in w)) delete value[f];
      if (show(w) !== show(value))
        diff.push(`event ${i}: expected ${show(w)}`, `         got ${show(value)}`);
    }
    if (then.version !== undefined && then.version !== d.newVersion) {
      diff.push(`version: expected ${then.version}, got ${d.newVersion}`);
    }
  } else if (d.outcome === 'rejected' && then.rejected) {
    if (
      then.rejected.rule !== d.rule ||
      (then.rejected.message !== undefined && then.rejected.message !== d.message)
    ) {
      diff.push(
        `expected rejection by ${then.rejected.rule}${then.rejected.message ? ` (${then.rejected.message})` : ''}, got ${describeDecision(d)}`,
      );
    }
  } else if (d.outcome === 'conflict' && then.conflict) {
    if (
      then.conflict.current !== d.current ||
      (then.conflict.expected !== undefined && then.conflict.expected !== d.expected)
    ) {
      diff.push(
        `expected a conflict at current version ${then.conflict.current}, got ${describeDecision(d)}`,
      );
    }
  } else if (d.outcome === 'invalid' && then.invalid) {
    const got = new Map(d.errors.map((e) => [e.field, e.message]));
    for (const [field, fragment] of Object.entries(then.invalid)) {
      if (!got.get(field)?.includes(fragment))
        diff.push(`expected ${field} to be invalid ("${fragment}"), got ${describeDecision(d)}`);
    }
    for (const field of got.keys())
      if (!(field in then.invalid)) diff.push(`unexpected error for ${field}: ${got.get(field)}`);
  }
  return diff;
}

export function formatCommandResult(result: CommandFixtureResult): string {
  const where = result.file ? ` (${result.file})` : '';
  const lines = [`${result.passed ? 'PASS' : 'FAIL'} ${result.name}${where}`];
  for (const s of result.steps) {
    if (s.diff.length > 0)
      lines.push(`  step ${s.index + 1} (${s.command}):`, ...s.diff.map((l) => `    ${l}`));
  }
  lines.push(...result.diff);
  return lines.join('\n');
}

/** A record's event time as windows take it: the source's plain `time` field, else its timestamp. */
function eventTime(record: FixtureInput, source: SourceDef | undefined): number {
  const field = sourceField(source?.time);
  const value = record.value as Record<string, unknown> | null;
  const t = field && value ? value[field] : undefined;
  return typeof t === 'number' ? t : record.timestamp;
}
