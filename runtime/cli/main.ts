// The streamfold command line. Each command lives in its own file and registers itself here.
// The kafkajs patches first: they replace kafkajs modules before kafkajs loads (see there).
import '../kafka/patches/producer/index.ts';
import '../kafka/patches/fetch/index.ts';
import '../kafka/patches/timeout/index.ts';
import '../kafka/patches/coordinator/index.ts'; // one FindCoordinator per transaction, not four: see there
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import * as dlq from './dlq.ts';
import * as generate from './generate.ts';
import * as describe from './describe.ts';
import * as reset from './reset.ts';
import * as run from './run.ts';
import * as status from './status.ts';
import * as commandCli from './command.ts';
import * as test from './test.ts';
import * as validate from './validate.ts';
import * as versions from './versions.ts';
import * as watch from './watch.ts';

// The nearest package.json above this file: two folders up from the source (runtime/cli), three or
// more from a build (dist/runtime/cli, or the bench's .cache/bench-dist/runtime/cli).
const pkgFile = [2, 3, 4, 5]
  .map((up) => new URL(`${'../'.repeat(up)}package.json`, import.meta.url))
  .find(existsSync);
const pkg = JSON.parse(readFileSync(pkgFile ?? '', 'utf8')) as { version: string };

const program = new Command('streamfold')
  .description('Turn event streams in Apache Kafka into queryable read models, declared in YAML')
  .version(pkg.version)
  // `--version` after a command is that command's own option (promote/cleanup --version n).
  .enablePositionalOptions()
  .showHelpAfterError();

// Command modules: each exports `register(program)`.
const commands = [
  validate,
  test,
  run,
  status,
  commandCli,
  watch,
  describe,
  reset,
  generate,
  dlq,
  versions,
] as Array<{
  register(program: Command): void;
}>;
for (const c of commands) c.register(program);

await program.parseAsync(process.argv);
