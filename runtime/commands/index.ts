// Command execution in the runtime (docs/commands.md, "Execution"). Re-exports only.
export { type CommandRequest, type CommandResult, CommandExecutor } from './executor.ts';
export { hasCommands, runtimeDefinition } from './definition.ts';
export {
  type AppendedEvent,
  COMMAND_EVENT_HEADER,
  DEFAULT_OUTCOME_HORIZON,
  outcomeStoreName,
  type StoredOutcome,
} from './outcome-store.ts';
