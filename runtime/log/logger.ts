// One logger for the runtime: JSON lines (pino) for machines, pretty lines on a TTY for people.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Force pretty (true) or JSON (false); default: pretty when stderr is a TTY. */
  pretty?: boolean;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.STREAMFOLD_LOG_LEVEL ?? 'info';
  const pretty =
    opts.pretty ?? (process.stderr.isTTY === true && process.env.STREAMFOLD_LOG_FORMAT !== 'json');
  if (pretty) {
    return pino({
      level,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, colorize: true, ignore: 'pid,hostname' },
      },
    });
  }
  return pino({ level, base: undefined }, pino.destination({ dest: 2, sync: false }));
}

/** A logger that drops everything: for tests and embedded use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
