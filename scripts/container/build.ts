// Builds the repository's Dockerfile and measures it: build time (with how many steps came from
// the layer cache, so a warm build is not mistaken for a cold one) and the image size.
// The legacy builder (DOCKER_BUILDKIT=0) ignores the `# syntax=` line, whose frontend image would
// come from Docker Hub; `--network host` lets `npm ci` reach the npm registry without a bridge.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docker, type Engine, lastLines, run } from './engine.ts';
import type { CheckResult } from './runtime-checks.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface BuildOptions {
  tag: string;
  baseImage: string;
  logFile: string;
}

export interface Build {
  check: CheckResult;
  /** The image size, e.g. "412.3 MiB", when it built. */
  size: string;
}

export async function buildImage(engine: Engine, o: BuildOptions): Promise<Build> {
  const t0 = Date.now();
  const r = run(
    'docker',
    ['build', '--network', 'host', '--build-arg', `NODE_IMAGE=${o.baseImage}`, '--tag', o.tag, '.'],
    { env: { ...engine.env, DOCKER_BUILDKIT: '0' }, cwd: repoRoot, timeoutMs: 20 * 60_000 },
  );
  const ms = Date.now() - t0;
  writeFileSync(o.logFile, `${r.stdout}\n${r.stderr}`);
  const name = 'docker build';
  if (r.code !== 0)
    return {
      check: { name, ok: false, ms, detail: `exit ${r.code}:\n${lastLines(r.stdout + r.stderr, 20)}` },
      size: '',
    };
  const steps = (r.stdout.match(/^Step \d+\/\d+ : /gm) ?? []).length;
  const cached = (r.stdout.match(/---> Using cache/g) ?? []).length;
  const bytes = Number(docker(engine, ['image', 'inspect', '--format', '{{.Size}}', o.tag]).stdout.trim());
  const size = `${(bytes / 2 ** 20).toFixed(1)} MiB (${o.tag} on ${o.baseImage})`;
  const cache =
    cached === 0 ? 'cold, no step from the layer cache' : `${cached} of ${steps} steps from the layer cache`;
  return {
    check: { name, ok: true, ms, detail: `built ${o.tag} in ${(ms / 1000).toFixed(1)} s (${cache})` },
    size,
  };
}
