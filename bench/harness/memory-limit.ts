// A memory limit for one contender's process, as a container's (`docker run --memory`, a Kubernetes
// limit) would set it: a memory cgroup of its own under this process's, cgroup v2 (`memory.max`) or
// v1 (`memory.limit_in_bytes`). The kernel then keeps the process's anonymous memory plus the page
// cache it charged (files it wrote or read, memory-mapped table pages included) under the limit,
// reclaiming clean file pages first, and kills the process when anonymous memory alone exceeds it.
// Needs write access to the cgroup tree (root here); without it the bench says why and stops.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LimitedCommand {
  command: string;
  args: string[];
  /** Removes the cgroup once the process has exited. */
  release(): void;
  /** The cgroup's own record of the process's memory: the kernel's OOM kills under the limit. */
  oomKills(): number;
}

/** `command args` run inside a new memory cgroup limited to `limitMiB`. */
export function underMemoryLimit(
  command: string,
  args: string[],
  limitMiB: number,
  name: string,
): LimitedCommand {
  const own = ownCgroup();
  const dir = join(own.path, `${name}-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir);
  const bytes = String(limitMiB * 2 ** 20);
  if (own.version === 2) writeFileSync(join(dir, 'memory.max'), bytes);
  else writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
  // The shell joins the cgroup, then becomes the process: the pid the harness measures is the contender's.
  const script = 'echo $$ > "$0/cgroup.procs" && exec "$@"';
  return {
    command: '/bin/sh',
    args: ['-c', script, dir, command, ...args],
    release: () => {
      try {
        rmdirSync(dir);
      } catch {
        // still busy (a descendant lingers): left for the machine's cleanup
      }
    },
    oomKills: () => {
      const events = own.version === 2 ? 'memory.events' : 'memory.oom_control';
      try {
        return Number(/oom_kill (\d+)/.exec(readFileSync(join(dir, events), 'utf8'))?.[1] ?? 0);
      } catch {
        return 0;
      }
    },
  };
}

/** This process's memory cgroup directory and the cgroup version it belongs to. */
function ownCgroup(): { path: string; version: 1 | 2 } {
  const entries = readFileSync('/proc/self/cgroup', 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(':'));
  const v1 = entries.find((p) => p[1]?.split(',').includes('memory'));
  if (v1 && existsSync('/sys/fs/cgroup/memory'))
    return { path: join('/sys/fs/cgroup/memory', v1[2] ?? ''), version: 1 };
  const v2 = entries.find((p) => p[0] === '0' && p[1] === '');
  if (v2 && existsSync('/sys/fs/cgroup/cgroup.controllers'))
    return { path: join('/sys/fs/cgroup', v2[2] ?? ''), version: 2 };
  throw new Error('a memory limit needs a memory cgroup (v1 or v2) this user may write to; none found');
}
