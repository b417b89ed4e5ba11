// Where `streamfold run` serves HTTP: flag, then environment, then the definition's `http`, then
// 127.0.0.1:8080. The token comes from --http-token or STREAMFOLD_HTTP_TOKEN only (never the
// definition, which is usually committed).
import { hostname } from 'node:os';
import type { Definition } from '../../projections/definition/schema.ts';
import { type HttpSettings, httpSettings } from '../http/settings.ts';

export const HTTP_HOST_ENV = 'STREAMFOLD_HTTP_HOST';
export const HTTP_PORT_ENV = 'STREAMFOLD_HTTP_PORT';
export const ADVERTISED_HOST_ENV = 'STREAMFOLD_HTTP_ADVERTISED_HOST';

export interface RunHttpFlags {
  httpHost?: string;
  httpPort?: string;
  httpToken?: string;
}

/** Throws an Error with a user-facing message when a value is invalid. */
export function resolveHttpSettings(
  definition: Pick<Definition, 'http'>,
  flags: RunHttpFlags,
  env: NodeJS.ProcessEnv = process.env,
): HttpSettings {
  const pick = (...values: Array<string | number | undefined>) =>
    values.find((v) => v !== undefined && v !== '');
  return httpSettings(
    {
      httpHost: pick(flags.httpHost, env[HTTP_HOST_ENV], definition.http?.host) as string | undefined,
      httpPort: pick(flags.httpPort, env[HTTP_PORT_ENV], definition.http?.port),
      httpToken: flags.httpToken,
    },
    env,
  );
}

/**
 * The host other instances call this one at: the flag, then STREAMFOLD_HTTP_ADVERTISED_HOST; when
 * binding a wildcard address (a container), the machine's host name, which is what a compose or
 * Kubernetes network resolves; otherwise the bind address itself (undefined here).
 */
export function resolveAdvertisedHost(
  settings: HttpSettings,
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  host: () => string = hostname,
): string | undefined {
  const given = flag || env[ADVERTISED_HOST_ENV];
  if (given) return given;
  return settings.host === '0.0.0.0' || settings.host === '::' ? host() : undefined;
}
