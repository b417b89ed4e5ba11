// Loads projections.yaml: reads the file, interpolates environment variables, validates.
import { readFileSync } from 'node:fs';
import {
  type Definition,
  formatLocatedError,
  type LocatedError,
  parseDefinition,
} from '../../projections/definition/index.ts';
import { type Env, interpolateScalar } from './interpolate.ts';

/** A definition that cannot be used; `lines` are the `file:line:col: message` lines to print. */
export class ConfigError extends Error {
  readonly lines: readonly string[];

  constructor(
    readonly file: string,
    readonly errors: readonly LocatedError[],
    lines?: readonly string[],
  ) {
    const all = lines ?? errors.map(formatLocatedError);
    super(all.join('\n'));
    this.name = 'ConfigError';
    this.lines = all;
  }
}

export const DEFAULT_CONFIG_FILE = 'projections.yaml';

/** Parses and validates definition text; `file` names it in messages. */
export function parseConfig(text: string, file: string, env: Env = process.env): Definition {
  const result = parseDefinition(text, file, {
    transformString: (value, plain) => interpolateScalar(value, plain, env),
  });
  if (result.errors) throw new ConfigError(file, result.errors);
  return result.definition;
}

export function loadConfig(path: string = DEFAULT_CONFIG_FILE, env: Env = process.env): Definition {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : ((err as Error).message ?? String(err));
    throw new ConfigError(path, [], [`${path}: cannot read the definition: ${why}`]);
  }
  return parseConfig(text, path, env);
}
