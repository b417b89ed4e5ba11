// Turns restore progress callbacks into what people see: a one-line bar redrawn in place on a TTY,
// or a log line every few seconds elsewhere (and one at the end in both cases).
import type { RestoreProgress, RestoreSummary } from './restore-stores.ts';

export interface ProgressTerminal {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressReporterOptions {
  /** What is being restored, e.g. `task 3`. */
  label: string;
  /** Where the bar is drawn (e.g. process.stderr); without a TTY no bar is drawn. */
  terminal?: ProgressTerminal;
  /** Structured log sink, e.g. `(msg, fields) => logger.info(fields, msg)`. */
  log?: (message: string, fields: Record<string, unknown>) => void;
  /** Time between log lines when there is no TTY (default 5 s). */
  logIntervalMs?: number;
  now?: () => number;
}

export interface ProgressReporter {
  onProgress(progress: RestoreProgress[]): void;
  finish(summary: RestoreSummary): void;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export function progressReporter(options: ProgressReporterOptions): ProgressReporter {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const tty = options.terminal?.isTTY === true ? options.terminal : undefined;
  const logEvery = options.logIntervalMs ?? 5_000;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastLog = started;
  let drawn = false;

  return {
    onProgress(progress) {
      const restored = progress.reduce((n, p) => n + p.restored, 0);
      const total = progress.reduce((n, p) => n + p.total, 0);
      const t = now();
      const rate = Math.round(restored / Math.max((t - started) / 1000, 0.001));
      if (tty) {
        if (t - lastDraw < REDRAW_MS && !progress.every((p) => p.done)) return;
        lastDraw = t;
        drawn = true;
        const line = barLine(options.label, restored, total, rate, progress.length);
        tty.write(`\r\x1b[K${line.slice(0, (tty.columns ?? 120) - 1)}`);
      } else if (options.log && t - lastLog >= logEvery) {
        lastLog = t;
        options.log(`restoring ${options.label}`, {
          restored,
          total,
          recordsPerSec: rate,
          stores: progress.length,
        });
      }
    },
    finish(summary) {
      if (tty && drawn) tty.write('\r\x1b[K');
      options.log?.(`restored ${options.label}`, {
        records: summary.records,
        ms: Math.round(summary.ms),
        recordsPerSec: Math.round(summary.records / Math.max(summary.ms / 1000, 0.001)),
        rebuilt: summary.stores.filter((s) => s.rebuilt).map((s) => `${s.store} (${s.reason})`),
      });
    },
  };
}

function barLine(label: string, restored: number, total: number, rate: number, stores: number): string {
  // `total` is an upper bound (compaction gaps), so the bar may finish early; cap it at 100%.
  const ratio = total === 0 ? 1 : Math.min(restored / total, 1);
  const filled = Math.round(ratio * BAR_WIDTH);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
  return `restoring ${label} ${bar} ${Math.round(ratio * 100)}% ${compact(restored)}/${compact(total)} records, ${compact(rate)}/s, ${stores} store${stores === 1 ? '' : 's'}`;
}

function compact(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  return String(n);
}
