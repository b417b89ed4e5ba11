// A query-serving instance in its own process, so a test can kill it with SIGKILL (no graceful
// leave). argv: <definition JSON file> <state dir> <partitions>. Prints `url <base URL>` once serving.
import { readFileSync } from 'node:fs';
import type { Definition } from '../../../projections/definition/schema.ts';
import { startInstance } from './instance.ts';

const [file, stateDir, partitions] = process.argv.slice(2);
const definition = JSON.parse(readFileSync(file!, 'utf8')) as Definition;
const instance = await startInstance(definition, stateDir!, Number(partitions));
process.stdout.write(`url ${instance.url}\n`);
process.on('SIGTERM', () => void instance.stop().then(() => process.exit(0)));
