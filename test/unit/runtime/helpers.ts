// The example definition (projections.yaml), parsed, for the runtime's unit tests.
import { readFileSync } from 'node:fs';
import type { Definition } from '../../../projections/definition/schema.ts';
import { parseConfig } from '../../../runtime/config/load.ts';

export function exampleDefinition(): Definition {
  const text = readFileSync(new URL('../../../projections.yaml', import.meta.url), 'utf8');
  return parseConfig(text, 'projections.yaml', {});
}
