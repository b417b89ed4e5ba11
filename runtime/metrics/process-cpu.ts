// process_cpu_* as Prometheus' own clients define them: CPU seconds since the process started.
//
// prom-client's default collector counts from the moment it was registered, so a metrics registry
// made after start-up (as the runtime's is, per instance) under-reports, and its first scrape can
// read 0. These replacements read process.cpuUsage(), which counts from process start, at scrape.
import { Counter, type Registry } from 'prom-client';

const CPU_METRICS = [
  { name: 'process_cpu_user_seconds_total', help: 'Total user CPU time spent in seconds.', of: 'user' },
  { name: 'process_cpu_system_seconds_total', help: 'Total system CPU time spent in seconds.', of: 'system' },
  { name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', of: 'both' },
] as const;

/** Swaps prom-client's default process_cpu_* counters in `registry` for since-process-start ones. */
export function countCpuFromProcessStart(registry: Registry): void {
  for (const { name, help, of } of CPU_METRICS) {
    registry.removeSingleMetric(name);
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const usage = process.cpuUsage();
        const micros = of === 'both' ? usage.user + usage.system : usage[of];
        this.reset();
        this.inc(micros / 1e6);
      },
    });
  }
}
