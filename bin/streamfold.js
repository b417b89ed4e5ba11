#!/usr/bin/env node
// Runs the compiled CLI when present (npm run build), else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'runtime', 'cli', 'main.js');
// The kafkajs producer patch must load before kafkajs itself (see runtime/kafka/patches/producer).
if (existsSync(compiled)) {
  await import(pathToFileURL(join(root, 'dist', 'runtime', 'kafka', 'patches', 'producer', 'index.js')).href);
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'runtime', 'kafka', 'patches', 'producer', 'index.ts')).href);
  await import(pathToFileURL(join(root, 'runtime', 'cli', 'main.ts')).href);
}
