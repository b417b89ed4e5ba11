// runFixture: feeds a fixture's inputs through the pure executor and compares each expected
// projection's final table and (optionally) full changelog with what the engine emitted.
import { compileTopology } from '../graph/compile.ts';
import { Executor } from '../graph/executor.ts';
import { canonicalJson, encodeKey } from '../keys.ts';
import type { OutputRecord } from '../records.ts';
import { tableKey } from '../windows/keys.ts';
import { type ExpectedProjection, type Fixture, FixtureError } from './fixture.ts';

export interface ProjectionResult {
  name: string;
  tablePassed: boolean;
  /** undefined when the fixture expects no records for this projection. */
  recordsPassed?: boolean;
  /** Readable differences; empty when everything matched. */
  diff: string;
  /** The actual final table and changelog, for -v output and tooling. */
  actualTable: Record<string, unknown>;
  actualRecords: OutputRecord[];
}

export interface FixtureResult {
  name: string;
  file?: string;
  passed: boolean;
  projections: ProjectionResult[];
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : canonicalJson(v));
const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** The last value per key (null = deleted), as a compacted topic would keep it. */
export function finalTable(records: readonly OutputRecord[]): Map<string, unknown> {
  const table = new Map<string, unknown>();
  for (const r of records) table.set(tableKey(r.key), r.value);
  return table;
}

export function runFixture(fixture: Fixture): FixtureResult {
  const topology = compileTopology(fixture.definition);
  const known = new Set(topology.sources.map((s) => s.topic));
  for (const name of Object.keys(fixture.expected)) {
    if (!topology.projections.some((p) => p.name === name)) {
      throw new FixtureError(
        `${fixture.name}: expected output of '${name}', which the definition does not declare`,
      );
    }
  }
  const executor = new Executor(topology, { json: true });
  fixture.inputs.forEach((input, i) => {
    if (!known.has(input.topic)) {
      throw new FixtureError(
        `${fixture.name}: input ${i} is for topic '${input.topic}', which no source reads`,
      );
    }
    executor.process({ ...input, key: input.key ?? null, value: input.value ?? null });
  });
  const projections = Object.entries(fixture.expected).map(([name, expected]) =>
    compareProjection(name, expected, executor.outputsOf(name)),
  );
  return {
    name: fixture.name,
    file: fixture.file,
    passed: projections.every((p) => p.tablePassed && p.recordsPassed !== false),
    projections,
  };
}

export function compareProjection(
  name: string,
  expected: ExpectedProjection,
  actual: OutputRecord[],
): ProjectionResult {
  const table = finalTable(actual);
  const lines: string[] = [];
  let tablePassed = true;
  if (expected.table) {
    const tableLines: string[] = [];
    for (const [key, want] of Object.entries(expected.table)) {
      const got = table.get(key);
      if (want === null) {
        if (got !== undefined && got !== null)
          tableLines.push(`    ${key}: expected deleted, got ${show(got)}`);
      } else if (got === undefined || got === null) {
        tableLines.push(`    ${key}: expected ${show(want)}, got ${got === null ? 'deleted' : 'no row'}`);
      } else if (!same(want, got)) {
        tableLines.push(`    ${key}: expected ${show(want)}`);
        tableLines.push(`    ${' '.repeat(key.length)}       got ${show(got)}`);
      }
    }
    for (const [key, got] of table) {
      if (got !== null && !(key in expected.table))
        tableLines.push(`    ${key}: unexpected row ${show(got)}`);
    }
    if (tableLines.length > 0) {
      tablePassed = false;
      lines.push(
        `  ${name}: final table differs (expected ${Object.keys(expected.table).length} keys, got ${table.size}):`,
        ...tableLines,
      );
    }
  }
  let recordsPassed: boolean | undefined;
  if (expected.records) {
    recordsPassed = true;
    const want = expected.records;
    const n = Math.max(want.length, actual.length);
    for (let i = 0; i < n; i++) {
      const w = want[i];
      const a = actual[i];
      const matches =
        w !== undefined &&
        a !== undefined &&
        encodeKey(w.key) === encodeKey(a.key) &&
        same(w.value, a.value) &&
        (w.timestamp === undefined || w.timestamp === a.timestamp);
      if (matches) continue;
      recordsPassed = false;
      lines.push(
        `  ${name}: records differ at index ${i} (expected ${want.length} records, got ${actual.length}):`,
        `    expected ${w ? showRecord(w.key, w.value, w.timestamp) : 'no more records'}`,
        `    actual   ${a ? showRecord(a.key, a.value, w?.timestamp !== undefined ? a.timestamp : undefined) : 'no more records'}`,
      );
      break;
    }
  }
  const actualTable: Record<string, unknown> = {};
  for (const [k, v] of table) actualTable[k] = v;
  return { name, tablePassed, recordsPassed, diff: lines.join('\n'), actualTable, actualRecords: actual };
}

function showRecord(key: unknown, value: unknown, timestamp: number | undefined): string {
  return `key ${show(key)} value ${value === null ? 'null (tombstone)' : show(value)}${timestamp === undefined ? '' : ` @${timestamp}`}`;
}
