// What `streamfold run` does not do yet of the write side (docs/commands.md, "Status"): it does
// not execute the `commands:` section, and says so once at start instead of ignoring it silently.
import type { Definition } from '../../projections/definition/schema.ts';

/** The start-up line about a `commands:` section, or undefined when there is none. */
export function commandsNotice(definition: Definition): string | undefined {
  const names = Object.keys(definition.commands ?? {});
  if (names.length === 0) return undefined;
  return `commands (${names.join(', ')}) are not executed by streamfold run yet: no command endpoint is served; streamfold test runs their fixtures (docs/commands.md)`;
}
