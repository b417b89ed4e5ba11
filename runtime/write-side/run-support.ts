// What `streamfold run` does not do yet of the write side (docs/commands.md, "Implemented and
// planned"): it refuses first-writer-wins sources rather than fold their events unchecked, and says
// once at start that it does not execute the `commands:` section.
import type { Definition } from '../../projections/definition/schema.ts';
import type { Problem } from '../../projections/definition/problems.ts';

/** Definition settings `run` cannot honour: each one is a located config error (exit 2). */
export function unsupportedByRun(definition: Definition): Problem[] {
  const problems: Problem[] = [];
  for (const [name, source] of Object.entries(definition.sources)) {
    if (source.conflicts !== 'first-writer-wins') continue;
    problems.push({
      path: ['sources', name, 'conflicts'],
      message:
        'streamfold run does not apply first-writer-wins yet (streamfold test does): it would fold every event, rejected ones included; remove conflicts: to run this source unchecked',
    });
  }
  return problems;
}

/** The start-up line about a `commands:` section, or undefined when there is none. */
export function commandsNotice(definition: Definition): string | undefined {
  const names = Object.keys(definition.commands ?? {});
  if (names.length === 0) return undefined;
  return `commands (${names.join(', ')}) are not executed by streamfold run yet: no command endpoint is served; streamfold test runs their fixtures (docs/commands.md)`;
}
