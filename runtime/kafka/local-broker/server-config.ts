// Renders kafka/server.properties for one broker: ports, host and data directory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaConfigDir } from './paths.ts';

export interface ServerConfigValues {
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
}

export function renderServerProperties(values: ServerConfigValues): string {
  const template = readFileSync(join(kafkaConfigDir, 'server.properties'), 'utf8');
  return template.replace(/\$\{(\w+)\}/g, (whole, name: string) => {
    if (!(name in values)) throw new Error(`kafka/server.properties: unknown placeholder ${whole}`);
    // Backslashes are escapes in .properties files (Windows paths).
    return String(values[name as keyof ServerConfigValues]).replaceAll('\\', '/');
  });
}

/** A KRaft cluster id: 16 random bytes, base64url. Never starting with '-' (argparse would read an option). */
export function newClusterId(randomBytes: (n: number) => Buffer): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
