// `streamfold validate [-c file]`: exit 0 with a summary, or 2 with every located error. Never a stack trace.
import type { Command } from 'commander';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a projections file and report every error as file:line:col')
    .option('-c, --config <file>', 'the definition file', DEFAULT_CONFIG_FILE)
    .action((opts: { config: string }) => {
      try {
        const def = loadConfig(opts.config);
        const sources = Object.keys(def.sources).length;
        const projections = Object.keys(def.projections).length;
        const commands = Object.keys(def.commands ?? {}).length;
        const withCommands = commands > 0 ? `, ${commands} command${commands === 1 ? '' : 's'}` : '';
        console.log(
          `ok: ${sources} source${sources === 1 ? '' : 's'}, ${projections} projection${projections === 1 ? '' : 's'}${withCommands}`,
        );
      } catch (err) {
        const lines =
          err instanceof ConfigError
            ? err.lines
            : [`${opts.config}: ${err instanceof Error ? err.message : String(err)}`];
        for (const line of lines) console.error(line);
        process.exitCode = 2;
      }
    });
}
