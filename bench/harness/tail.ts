// The last lines of a contender's process log, for the one-line note of a failed run (without the
// `$ command` line the harness writes first).
import { existsSync, readFileSync } from 'node:fs';

/** The last non-empty lines of a log file, joined with " | " for a one-line report. */
export function tailOf(file: string, lines: number): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('$ '))
    .slice(-lines)
    .map((l) => l.slice(0, 300))
    .join(' | ');
}
