// Restore progress: a bar per restoring task on a TTY (cli-progress, on stderr), else a log line
// per task at most every few seconds, and always one line when a task's restore ends. Reports
// only: must not drive or wait for a restore.
import cliProgress from 'cli-progress';
import type { RestoreProgress, RestoreSummary } from '../kafka/restore/index.ts';
import type { Logger } from '../log/logger.ts';

export type ProgressMode = 'bar' | 'log';

const LOG_EVERY_MS = 3_000;

export class RestoreReporter {
  private readonly bars = new Map<number, cliProgress.SingleBar>();
  private readonly lastLog = new Map<number, number>();
  private multi: cliProgress.MultiBar | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly mode: ProgressMode,
  ) {}

  progress(task: number, stores: RestoreProgress[]): void {
    const restored = stores.reduce((n, s) => n + s.restored, 0);
    const total = stores.reduce((n, s) => n + s.total, 0);
    if (this.mode === 'bar') {
      if (!this.multi) {
        this.multi = new cliProgress.MultiBar(
          {
            stream: process.stderr,
            format: 'restoring task {task} [{bar}] {value}/{total} records',
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
      }
      let bar = this.bars.get(task);
      if (!bar) this.bars.set(task, (bar = this.multi.create(Math.max(total, 1), 0, { task })));
      bar.setTotal(Math.max(total, 1));
      bar.update(Math.min(restored, Math.max(total, 1)), { task });
      return;
    }
    const now = Date.now();
    if (now - (this.lastLog.get(task) ?? 0) < LOG_EVERY_MS) return;
    this.lastLog.set(task, now);
    this.logger.info(
      { task, restored, total },
      `restoring task ${task}: ${restored} of at most ${total} changelog records`,
    );
  }

  done(task: number, summary: RestoreSummary): void {
    const bar = this.bars.get(task);
    if (bar) {
      bar.update(bar.getTotal());
      bar.stop();
      this.bars.delete(task);
      if (this.bars.size === 0) this.stop();
    }
    this.lastLog.delete(task);
    const rebuilt = summary.stores.filter((s) => s.rebuilt).map((s) => `${s.store} (${s.reason})`);
    this.logger.info(
      {
        task,
        records: summary.records,
        ms: Math.round(summary.ms),
        rebuilt: rebuilt.length > 0 ? rebuilt : undefined,
      },
      `task ${task} restored ${summary.records} changelog records in ${Math.round(summary.ms)} ms`,
    );
  }

  stop(): void {
    this.multi?.stop();
    this.multi = null;
    this.bars.clear();
  }
}
