// The streamfold command line. Each command lives in its own file and registers itself here.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import * as generate from './generate.ts';
import * as run from './run.ts';
import * as test from './test.ts';
import * as validate from './validate.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('streamfold')
  .description('Turn event streams in Apache Kafka into queryable read models, declared in YAML')
  .version(pkg.version)
  .showHelpAfterError();

// Command modules: each exports `register(program)`.
const commands = [validate, test, run, generate] as Array<{ register(program: Command): void }>;
for (const c of commands) c.register(program);

await program.parseAsync(process.argv);
