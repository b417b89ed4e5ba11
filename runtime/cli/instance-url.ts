// Where a running instance's HTTP API is, for the commands that ask it (`status`, `watch`): --url,
// else the definition's http.host/port and the environment, else 127.0.0.1:8080.
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config/load.ts';
import { resolveHttpSettings } from '../serve/http-options.ts';

/** The base URL, or null after printing why there is none (a usage mistake: exit 2). */
export function instanceUrl(
  command: string,
  config: string,
  url: string | undefined,
  configGiven: boolean,
): URL | null {
  if (!url) {
    try {
      const definition = configGiven || existsSync(config) ? loadConfig(config) : { http: undefined };
      const s = resolveHttpSettings(definition, {});
      const host = s.host === '0.0.0.0' || s.host === '::' ? '127.0.0.1' : s.host;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${s.port}`;
    } catch (err) {
      for (const line of err instanceof ConfigError ? err.lines : [String(err)]) console.error(line);
      return null;
    }
  }
  try {
    return new URL(url);
  } catch {
    console.error(`streamfold ${command}: --url ${url} is not a URL`);
    return null;
  }
}
