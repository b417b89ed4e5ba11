// What `streamfold run` prints once it serves: where the dashboard is and a query to try, so a
// first run needs no documentation open.
import type { Definition } from '../../projections/definition/schema.ts';

export function announcement(endpoint: string, definition: Definition, token: boolean): string {
  const projection =
    Object.entries(definition.projections).find(([, p]) => p.aggregate)?.[0] ??
    Object.keys(definition.projections)[0] ??
    'PROJECTION';
  const auth = token ? ` -H "Authorization: Bearer $STREAMFOLD_HTTP_TOKEN"` : '';
  return [
    `streamfold: ${definition.application} is running`,
    `  dashboard  ${endpoint}/dashboard/`,
    `  rows       curl${auth} '${endpoint}/projections/${projection}/rows?limit=5'`,
    `  one key    curl${auth} '${endpoint}/projections/${projection}/keys/<key>'`,
    `  status     streamfold status --url ${endpoint}`,
    `  metrics    ${endpoint}/metrics   health ${endpoint}/readyz   API ${endpoint}/openapi.json`,
    '',
  ].join('\n');
}

export function announce(endpoint: string, definition: Definition, token: boolean): void {
  process.stdout.write(announcement(endpoint, definition, token));
}
