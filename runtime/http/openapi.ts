// The OpenAPI 3.1 document, generated from the routes' own JSON schemas (collected with fastify's
// onRoute hook), so it cannot drift from what the server validates.
import type { FastifyInstance, RouteOptions } from 'fastify';

interface CollectedRoute {
  method: string;
  url: string;
  schema: Record<string, any>;
}

export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!route.schema || route.url.includes('*')) return;
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({
        method: method.toLowerCase(),
        url: route.url,
        schema: route.schema as Record<string, any>,
      });
    }
  });
  return routes;
}

export function openApiDocument(routes: CollectedRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const parameters = [
      ...toParameters(r.schema.params, 'path'),
      ...toParameters(r.schema.querystring, 'query'),
    ];
    const responses: Record<string, unknown> = {};
    for (const [code, schema] of Object.entries(r.schema.response ?? {}))
      // A response that names its media types (an event stream) is documented as it is.
      responses[code] = (schema as { content?: unknown }).content
        ? schema
        : {
            description: describeStatus(Number(code)),
            content: { 'application/json': { schema } },
            ...(code === '503' ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } } : {}),
          };
    (paths[path] ??= {})[r.method] = {
      summary: r.schema.summary,
      ...(parameters.length > 0 ? { parameters } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'streamfold query API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }, {}],
    paths,
  };
}

function toParameters(schema: Record<string, any> | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema?.properties) return [];
  const required = new Set<string>(schema.required ?? []);
  return Object.entries(schema.properties as Record<string, Record<string, unknown>>).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
      ...(rest.type === 'array' ? { style: 'form', explode: true } : {}),
    };
  });
}

function describeStatus(code: number): string {
  const texts: Record<number, string> = {
    200: 'OK',
    202: 'Accepted, not done yet: ask again after Retry-After seconds',
    400: 'Bad input (JSON error with a reason)',
    401: 'Missing or wrong bearer token',
    403: 'Admin endpoints need a token configured on the server',
    404: 'Unknown projection, source, key or path',
    410: 'Older than what the server keeps (history, remembered rejections)',
    503: 'Restoring, rebalancing, owner unreachable or freshness not reached: retry after Retry-After seconds',
  };
  return texts[code] ?? String(code);
}
