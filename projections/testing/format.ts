// Human-readable results for `streamfold test` and test failures.
import type { FixtureResult } from './run.ts';

export function formatResult(result: FixtureResult, options: { verbose?: boolean } = {}): string {
  const where = result.file ? ` (${result.file})` : '';
  const lines = [`${result.passed ? 'PASS' : 'FAIL'} ${result.name}${where}`];
  for (const p of result.projections) {
    if (p.diff) lines.push(p.diff);
    if (options.verbose) {
      const checks = [`table ${p.tablePassed ? 'ok' : 'differs'}`];
      if (p.recordsPassed !== undefined) checks.push(`records ${p.recordsPassed ? 'ok' : 'differ'}`);
      lines.push(`  ${p.name}: ${checks.join(', ')}; ${p.actualRecords.length} records emitted`);
      for (const r of p.actualRecords) {
        lines.push(`    ${JSON.stringify(r.key)} → ${JSON.stringify(r.value)} @${r.timestamp}`);
      }
    }
  }
  return lines.join('\n');
}
