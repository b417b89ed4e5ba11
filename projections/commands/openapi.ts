// The OpenAPI document of the commands' HTTP API (POST /commands/{name}), derived from the input
// declarations. Pure: the HTTP layer serves it once it executes commands.
import type { Definition } from '../definition/schema.ts';
import { inputJsonSchema } from './input.ts';

const problem = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});

export function openApiDocument(
  definition: Pick<Definition, 'application' | 'commands'>,
): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [name, command] of Object.entries(definition.commands ?? {})) {
    const { $schema: _dialect, ...schema } = inputJsonSchema(command);
    paths[`/commands/${name}`] = {
      post: {
        operationId: name,
        ...(command.description ? { summary: command.description } : {}),
        parameters: [
          { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
          {
            name: 'expectedVersion',
            in: 'query',
            required: false,
            description: 'any, no_stream, exists, or the exact version the entity must be at',
            schema: { type: 'string' },
          },
        ],
        requestBody: { required: true, content: { 'application/json': { schema } } },
        responses: {
          200: problem('accepted: the appended events and the new version'),
          400: problem('invalid input: one error per field'),
          409: problem(
            'rejected by a rule (its name and message), or a version conflict (expected and current)',
          ),
          422: problem(
            'the Idempotency-Key was used before for another request (another command, body or expectedVersion)',
          ),
        },
      },
    };
  }
  return { openapi: '3.1.0', info: { title: `${definition.application} commands`, version: '1' }, paths };
}
