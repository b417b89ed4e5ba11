// The numeric command-line options of the single-file benchmarks (`--events 100000`).

/** The number after `--<name>` on the command line, or `fallback` when the option is absent. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
