// Runs the ksqlDB conformance fixtures (test/conformance/ksqldb) through the pure engine and prints
// one line per case, the diff of every failure, and the summary line `N passed, M failed`.
// A case passes when its final table and its changelog both match.
//
//   npm run conformance [-- <id-substring>...]
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { formatResult, loadFixture, runFixture } from '../projections/testing/index.ts';

const DIR = fileURLToPath(new URL('../test/conformance/ksqldb/', import.meta.url));

interface Outcome {
  id: string;
  table: boolean;
  /** undefined: the case expects no changelog. */
  changelog: boolean | undefined;
  detail: string;
}

async function runCase(file: string): Promise<Outcome> {
  const id = path.basename(file, '.yaml');
  try {
    const result = runFixture(await loadFixture(file));
    const table = result.projections.length > 0 && result.projections.every((p) => p.tablePassed);
    const checked = result.projections.filter((p) => p.recordsPassed !== undefined);
    const changelog = checked.length === 0 ? undefined : checked.every((p) => p.recordsPassed === true);
    return { id, table, changelog, detail: result.passed ? '' : formatResult(result) };
  } catch (err) {
    return { id, table: false, changelog: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}

async function main(filters: string[]): Promise<number> {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml') && (filters.length === 0 || filters.some((s) => f.includes(s))))
    .sort()
    .map((f) => path.join(DIR, f));
  const outcomes: Outcome[] = [];
  for (const file of files) {
    const o = await runCase(file);
    outcomes.push(o);
    const passed = o.table && o.changelog !== false;
    const what = [o.table ? null : 'final table', o.changelog === false ? 'changelog' : null].filter(Boolean);
    console.log(`${passed ? 'ok  ' : 'FAIL'}  ${o.id}${what.length > 0 ? `  (${what.join(', ')})` : ''}`);
    if (!passed && o.detail) console.log(indent(o.detail));
  }
  const tables = outcomes.filter((o) => o.table).length;
  const withLog = outcomes.filter((o) => o.changelog !== undefined);
  const logs = withLog.filter((o) => o.changelog).length;
  const passed = outcomes.filter((o) => o.table && o.changelog !== false).length;
  console.log('');
  console.log(`final tables: ${tables}/${outcomes.length}`);
  console.log(`changelogs: ${logs}/${withLog.length}`);
  console.log(`${passed} passed, ${outcomes.length - passed} failed`);
  return outcomes.length > 0 && passed === outcomes.length ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
