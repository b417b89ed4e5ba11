// `streamfold test <fixture...>`: runs YAML fixtures through the pure engine, no broker needed.
// Arguments are files, directories (every fixture .yaml inside, recursively) or globs (`*`, `**`, `?`),
// so quoted globs work without a shell. Prints PASS/FAIL per fixture with a diff for failures,
// then `N passed, M failed`; exits 0 only when every fixture passed (2 when nothing matched).
import type { Command } from 'commander';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  fixtureFromObject,
  formatResult,
  readFixtureYaml,
  runFixture,
} from '../../projections/testing/index.ts';
import {
  commandFixtureFromObject,
  formatCommandResult,
  isCommandFixture,
  runCommandFixture,
} from '../../projections/commands/testing/index.ts';

/**
 * In folders, only YAML files with top-level `inputs:` and `expected:` (projection fixtures) or
 * `when:` (command fixtures) are fixtures, not definitions.
 */
function looksLikeFixture(file: string): boolean {
  try {
    const text = readFileSync(file, 'utf8');
    return (/^inputs:/m.test(text) && /^expected:/m.test(text)) || /^when:/m.test(text);
  } catch {
    return false;
  }
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (/\.ya?ml$/.test(entry.name) && looksLikeFixture(p)) out.push(p);
  }
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches any number of directories, including none
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Expands files, directories and globs into a sorted, de-duplicated list of fixture files. */
export function expandFixtureArgs(args: readonly string[]): { files: string[]; unmatched: string[] } {
  const files = new Set<string>();
  const unmatched: string[] = [];
  for (const arg of args) {
    const found: string[] = [];
    if (/[*?]/.test(arg)) {
      const normalized = arg.split(path.sep).join('/');
      const staticPart = normalized
        .split('/')
        .filter((_, i, parts) => !/[*?]/.test(parts.slice(0, i + 1).join('/')));
      const base = staticPart.join('/') || '.';
      const candidates: string[] = [];
      try {
        walk(base, candidates);
      } catch {
        // base does not exist: nothing matches
      }
      const re = globToRegExp(normalized.replace(/^\.\//, ''));
      for (const c of candidates)
        if (re.test(c.split(path.sep).join('/').replace(/^\.\//, ''))) found.push(c);
    } else {
      try {
        if (statSync(arg).isDirectory()) walk(arg, found);
        else found.push(arg);
      } catch {
        found.push(arg); // reported as a failure to read, with its name
      }
    }
    if (found.length === 0) unmatched.push(arg);
    for (const f of found) files.add(f);
  }
  return { files: [...files].sort(), unmatched };
}

export async function runFixtureFiles(
  files: readonly string[],
  verbose: boolean,
  print: (line: string) => void,
): Promise<number> {
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    try {
      const raw = await readFixtureYaml(file);
      let ok: boolean;
      if (isCommandFixture(raw)) {
        const result = runCommandFixture(await commandFixtureFromObject(raw, file));
        print(formatCommandResult(result));
        ok = result.passed;
      } else {
        const result = runFixture(await fixtureFromObject(raw, file));
        print(formatResult({ ...result, file }, { verbose }));
        ok = result.passed;
      }
      if (ok) passed++;
      else failed++;
    } catch (err) {
      failed++;
      print(`FAIL ${file}\n  ${(err instanceof Error ? err.message : String(err)).split('\n').join('\n  ')}`);
    }
  }
  print(`${passed} passed, ${failed} failed`);
  return failed;
}

export function register(program: Command): void {
  program
    .command('test')
    .description(
      'run fixture files (inputs + expected tables/changelogs, or given events + commands + expected outcomes) through the engine, no broker needed',
    )
    .argument('<fixtures...>', 'fixture files, directories or globs')
    .option('-v, --verbose', 'print every emitted record')
    .action(async (args: string[], opts: { verbose?: boolean }) => {
      const { files, unmatched } = expandFixtureArgs(args);
      for (const u of unmatched) console.error(`no fixture matches ${u}`);
      if (files.length === 0) {
        process.exitCode = 2;
        return;
      }
      const failed = await runFixtureFiles(files, opts.verbose === true, (line) => console.log(line));
      process.exitCode = failed === 0 && unmatched.length === 0 ? 0 : 1;
    });
}
