// The HTTP routes' view of command execution (runtime/http/routes/commands.ts): the declared
// commands, the entity key of a body, and the application's executor once it runs (503 before).
import {
  compileCommands,
  entityVersionProjectionName,
  openApiDocument,
} from '../../projections/commands/index.ts';
import type { Definition } from '../../projections/definition/schema.ts';
import type { CommandExecutor } from '../commands/index.ts';
import type { CommandGateway } from '../http/routes/commands.ts';

export function commandGateway(
  definition: Definition,
  executor: () => CommandExecutor | null | undefined,
): CommandGateway {
  const compiled = compileCommands(definition);
  const first = [...compiled.values()][0]!;
  return {
    names: new Set(compiled.keys()),
    // Every projection of the application's group has the same partitions: the entity's.
    ownershipProjection: entityVersionProjectionName(first.entity.source),
    openApi: openApiDocument(definition),
    keyOf(command, body) {
      const c = compiled.get(command);
      return c && typeof body === 'object' && body !== null
        ? (body as Record<string, unknown>)[c.entity.keyField]
        : undefined;
    },
    async execute(request) {
      const x = executor();
      return x ? x.execute(request) : { status: 'unavailable', reason: 'the application is starting' };
    },
    outcome: (command, id, key) => executor()?.outcomeOf(command, id, key),
  };
}
