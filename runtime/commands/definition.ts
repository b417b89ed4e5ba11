// The definition the runtime runs when it has commands: plus the hidden projections that fold the
// commands' state (inline aggregates, entity versions; projections/commands/state.ts). Every place
// that compiles the application's topology (run, reset, describe) uses it, so they agree on the
// stores and topics. Only the application's own group executes commands (not projection versions
// built beside it).
import { withCommandState } from '../../projections/commands/index.ts';
import type { Definition } from '../../projections/definition/schema.ts';

export const hasCommands = (definition: Definition): boolean =>
  Object.keys(definition.commands ?? {}).length > 0;

export function runtimeDefinition(definition: Definition): Definition {
  return hasCommands(definition) ? withCommandState(definition) : definition;
}
