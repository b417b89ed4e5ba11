// Writes test/conformance/ksqldb/<case-id>.yaml from ksqlDB's cases.json and our hand-written
// definitions.yaml (see generate.ts); only the mechanical half of the translation lives here.
//
//   node --import tsx scripts/conformance/translate.ts [cases.json windows.json] [--check]
//
// --check writes nothing and exits 1 when a fixture on disk differs from what would be generated.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CASES, FIXTURE_DIR, generateFixtures, WINDOW_CASES } from './generate.ts';

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const paths = argv.filter((a) => !a.startsWith('--'));
  const fixtures = generateFixtures(paths.length > 0 ? paths : [DEFAULT_CASES, WINDOW_CASES]);
  mkdirSync(FIXTURE_DIR, { recursive: true });
  let stale = 0;
  for (const [id, text] of fixtures) {
    const target = path.join(FIXTURE_DIR, `${id}.yaml`);
    if (!check) writeFileSync(target, text);
    else if (!existsSync(target) || readFileSync(target, 'utf8') !== text) {
      console.error(`stale: ${id}.yaml`);
      stale++;
    }
  }
  const extra = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.yaml') && !fixtures.has(f.slice(0, -5)));
  for (const f of extra) console.error(`not a case: ${f}`);
  console.log(
    check
      ? `${fixtures.size - stale} of ${fixtures.size} fixtures up to date`
      : `wrote ${fixtures.size} fixtures`,
  );
  return stale + extra.length > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
