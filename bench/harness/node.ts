// The Node that runs streamfold in the bench (and the raw kafkajs ceiling, the HTTP and command
// benches, the views pipeline): the version of streamfold's container image, the one it is deployed
// on and the whole test suite runs on in CI, unpacked into the cache by scripts/node-versions.ts
// like the tests' other versions. `BENCH_NODE=<a node binary>` runs another, e.g. the minimum
// supported (20), which is slower: same code, interleaved, Node 24 ran (a) at 1.57× and (g) at
// 1.38× Node 20's events/s (bench/results/group-by/2026-12-06-node24.md).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { installNode, NODE_VERSIONS } from '../../scripts/node-versions.ts';

let chosen: string | undefined;

/** The node binary of the processes the bench measures (installed on first use when not given). */
export function benchNode(): string {
  if (chosen) return chosen;
  const given = process.env.BENCH_NODE;
  if (given) return (chosen = given);
  try {
    return (chosen = join(installNode(NODE_VERSIONS.image), 'node'));
  } catch (err) {
    throw new Error(
      `the bench runs streamfold on Node ${NODE_VERSIONS.image} (its container's) and could not install it from the npm registry (${(err as Error).message.split('\n')[0]}); set BENCH_NODE to a node binary to run on another`,
    );
  }
}

/** `v24.x.y` of the bench's node. */
export function benchNodeVersion(): string {
  return execFileSync(benchNode(), ['--version'], { encoding: 'utf8' }).trim();
}
