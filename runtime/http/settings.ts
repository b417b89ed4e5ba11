// HTTP settings from `streamfold run` flags and the environment: --http-host (default 127.0.0.1),
// --http-port, --http-token or STREAMFOLD_HTTP_TOKEN. The token is read from the environment so
// it need not appear in the process list.

export interface HttpFlags {
  httpHost?: string;
  httpPort?: string | number;
  httpToken?: string;
}

export interface HttpSettings {
  host: string;
  port: number;
  token?: string;
}

export const TOKEN_ENV = 'STREAMFOLD_HTTP_TOKEN';

export function httpSettings(flags: HttpFlags, env: NodeJS.ProcessEnv = process.env): HttpSettings {
  const host = flags.httpHost ?? '127.0.0.1';
  const port = Number(flags.httpPort ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error('--http-port must be an integer 0–65535');
  const token = flags.httpToken ?? env[TOKEN_ENV];
  if (token !== undefined && !/^[\x21-\x7e]{8,}$/.test(token))
    throw new Error(
      `the HTTP token (--http-token / ${TOKEN_ENV}) must be at least 8 printable ASCII characters, no spaces`,
    );
  return { host, port, ...(token !== undefined ? { token } : {}) };
}

/** The endpoint to advertise to the group: a wildcard bind address is no address others can call. */
export function advertisedEndpoint(
  settings: HttpSettings,
  boundPort: number,
  advertisedHost?: string,
): string {
  const host =
    advertisedHost ?? (settings.host === '0.0.0.0' || settings.host === '::' ? undefined : settings.host);
  if (host === undefined)
    throw new Error('binding a wildcard address needs an advertised host (--http-advertised-host)');
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${boundPort}`;
}
