// The HTTP query API: a fastify server over a StateSource. Binds 127.0.0.1 unless told otherwise.
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { authorize } from './auth.ts';
import { dashboardRoutes, isDashboardRequest } from './dashboard/index.ts';
import { errorHandler, errors, HttpError, sendError } from './errors.ts';
import { collectRoutes, openApiDocument } from './openapi.ts';
import { adminRoutes } from './routes/admin.ts';
import { type CommandGateway, commandRoutes } from './routes/commands.ts';
import type { RouteContext } from './routes/context.ts';
import { keyRoutes } from './routes/keys.ts';
import { rowRoutes } from './routes/rows.ts';
import { statusRoutes } from './routes/status.ts';
import { writerRoutes } from './routes/writers.ts';
import { MAX_KEY_LENGTH } from './schemas.ts';
import type { StateSource } from './state-source.ts';
import type { HealthState } from '../metrics/health.ts';

export interface HttpServerOptions {
  stateSource: StateSource;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Bearer token required on every endpoint (`--http-token` / STREAMFOLD_HTTP_TOKEN). */
  token?: string;
  /** Largest request body, in bytes (default 16 KiB; the query API takes no bodies). */
  bodyLimit?: number;
  /** Time allowed to receive a whole request, in ms (default 10 s). */
  requestTimeout?: number;
  /** Time allowed to a forwarded request to another instance, in ms (default 5 s). */
  forwardTimeoutMs?: number;
  /** Freshness wait when a query sets none (default 5 s). */
  defaultWaitMs?: number;
  /** Adds the runtime's admin commands under POST /admin/ (always behind the token). */
  registerAdmin?: (scope: FastifyInstance) => void;
  /** A pino logger for request logs (default: none). */
  logger?: FastifyBaseLogger;
  /** Version shown in the OpenAPI document. */
  version?: string;
  /**
   * Rewrites a request's URL once, before routing (projection versions: `/projections/balances`
   * → the active version's id), so the whole request is answered from one version.
   */
  rewriteUrl?: (url: string) => string;
  /**
   * The runtime's liveness and readiness (`streamfold run`): /healthz and /readyz answer from it.
   * Without it, /healthz is always 200 and /readyz follows the state source's restore status.
   */
  health?: HealthState;
  /** The commands this server executes (POST /commands/{name}), when the definition has some. */
  commands?: CommandGateway;
  /** Materialized views' status, listed by GET /projections (runtime/views). */
  views?: () => unknown[];
}

export interface HttpServer {
  app: FastifyInstance;
  /** Starts listening; resolves to the base URL (e.g. http://127.0.0.1:8080). */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    requestTimeout: options.requestTimeout ?? 10_000,
    // An URL-encoded key may be three times its length.
    routerOptions: { maxParamLength: 3 * MAX_KEY_LENGTH + 16 },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
    rewriteUrl: (req: IncomingMessage) =>
      options.rewriteUrl ? options.rewriteUrl(req.url ?? '/') : (req.url ?? '/'),
    frameworkErrors: (_err, _request, reply) => {
      sendError(reply, errors.badRequest('malformed URL'));
    },
  });
  const ctx: RouteContext = {
    source: options.stateSource,
    forwardTimeoutMs: options.forwardTimeoutMs ?? 5_000,
    defaultWaitMs: options.defaultWaitMs ?? 5_000,
    views: options.views,
  };
  const routes = collectRoutes(app);

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => {
    sendError(reply, new HttpError(404, 'not_found', 'no such endpoint'));
  });
  // Probes (container healthchecks, orchestrators) carry no token and learn nothing from the answer.
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/admin/') || isDashboardRequest(request) || isProbe(request.url)) return;
    authorize(request, options.token, false);
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    return payload;
  });

  statusRoutes(app, ctx, options.health);
  keyRoutes(app, ctx);
  rowRoutes(app, ctx);
  writerRoutes(app, ctx);
  if (options.commands) commandRoutes(app, ctx, options.commands);
  adminRoutes(app, options.token, options.registerAdmin);
  dashboardRoutes(app);
  app.get('/openapi.json', async () => {
    const doc = openApiDocument(routes, options.version ?? '0.0.0');
    // Each command's own path, with its input's JSON Schema as the request body.
    const commandPaths = options.commands?.openApi?.paths as Record<string, unknown> | undefined;
    return commandPaths ? { ...doc, paths: { ...(doc.paths as object), ...commandPaths } } : doc;
  });

  return {
    app,
    async listen() {
      return app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    },
    close: () => app.close(),
  };
}

function isProbe(url: string): boolean {
  const path = url.split('?', 1)[0];
  return path === '/healthz' || path === '/readyz';
}
