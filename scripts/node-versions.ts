// Other Node.js versions for the tests, from the npm registry's `node-<platform>-<arch>` packages (the
// official Node builds, packed as npm packages), unpacked into the git-ignored .cache/node/<version>.
//
//   node --import tsx scripts/node-versions.ts install <version>   prints the version's bin directory
//
// CI runs `npm test` on the image's Node (24) with PATH="$(… install 24.x.y):$PATH", then the unit and
// conformance suites on the declared minimum and on 22. A second install of a version is a no-op.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../runtime/kafka/local-broker/index.ts';

/** Tested versions: the container's, the next older LTS, and the minimum in package.json's engines. */
export const NODE_VERSIONS = { image: '24.22.3', lts22: '22.23.5', minimum: '20.19.0' } as const;

/** The bin directory of Node `version`, downloaded and unpacked first if it is not there yet. */
export function installNode(version: string): string {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not an exact Node version: ${version}`);
  const dir = join(cacheRoot(), 'node', version);
  const bin = join(dir, 'bin');
  if (existsSync(join(bin, 'node'))) return bin;
  mkdirSync(join(cacheRoot(), 'node'), { recursive: true });
  const work = mkdtempSync(join(cacheRoot(), 'node', '.download-'));
  try {
    const name = `node-${process.platform}-${process.arch}@${version}`;
    const tarball = execFileSync('npm', ['pack', name, '--silent', '--pack-destination', work], {
      encoding: 'utf8',
    }).trim();
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work]);
    const got = execFileSync(join(work, 'package', 'bin', 'node'), ['--version'], {
      encoding: 'utf8',
    }).trim();
    if (got !== `v${version}`) throw new Error(`${name} runs as ${got}`);
    // the rename makes a half-unpacked version impossible to mistake for an installed one
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(work, 'package'), dir);
    return bin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, wanted] = process.argv.slice(2);
  const version = NODE_VERSIONS[wanted as keyof typeof NODE_VERSIONS] ?? wanted;
  if (command !== 'install' || !version) {
    process.stderr.write(
      `usage: node-versions.ts install <version|${Object.keys(NODE_VERSIONS).join('|')}>\n`,
    );
    process.exit(2);
  }
  try {
    process.stdout.write(`${installNode(version)}\n`);
  } catch (err) {
    process.stderr.write(`node-versions: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
