// Preloaded into every test file's process by scripts/test.mjs. Once a file's tests are done, its
// process exits within seconds even if a client left a handle open (the run would hang on it),
// after its results are written. Not node's --test-force-exit, which exits at once and drops
// results still on their way to the runner (nodejs/node#64833).
import { after } from 'node:test';

const GRACE_MS = 5_000;

after(() => {
  setTimeout(() => {
    process.stderr.write(
      `[streamfold test] ${process.argv[1] ?? 'a test file'}: handles still open ${GRACE_MS / 1000} s after its tests (${openResources()}); exiting\n`,
    );
    process.exit();
  }, GRACE_MS).unref();
});

/** The kinds of resources keeping the process alive, counted (the guard's own timer is unref'd). */
function openResources(): string {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${kind} ×${n}`).join(', ');
}
