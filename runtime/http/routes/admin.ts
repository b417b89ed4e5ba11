// POST /admin/...: reserved for admin commands (reset, DLQ replay). They always need the bearer
// token; the runtime adds its commands with `registerAdmin`, inside this guarded scope.
import type { FastifyInstance } from 'fastify';
import { authorize } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { routeSchemas } from '../schemas.ts';

export function adminRoutes(
  app: FastifyInstance,
  token: string | undefined,
  registerAdmin?: (scope: FastifyInstance) => void,
): void {
  app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request) => authorize(request, token, true));
      registerAdmin?.(scope);
      scope.post('/*', { schema: routeSchemas.admin }, async () => {
        throw new HttpError(404, 'not_found', 'no admin command at this path');
      });
    },
    { prefix: '/admin' },
  );
}
