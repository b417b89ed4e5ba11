// The Dockerfile, checked without a Docker engine: dockerfile-utils (the linter of the VS Code Docker
// extension) for syntax and arguments, hadolint's rules that matter here (dockerfile-rules.ts), and
// what the image promises: multi-stage, non-root, LTS base, state volume, health check.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ValidationSeverity, validate } from 'dockerfile-utils';
import { lintDockerfile, parseDockerfile, stages } from './dockerfile-rules.ts';

const text = readFileSync('Dockerfile', 'utf8');
const all = stages(parseDockerfile(text));
const final = all.at(-1);
const args = (keyword: string) =>
  final?.instructions.filter((i) => i.keyword === keyword).map((i) => i.args) ?? [];
const env = new Map(
  args('ENV').flatMap((a) => [...a.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] as string, m[2] as string])),
);

// Every optional check at its strictest.
const strict = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

void describe('Dockerfile', () => {
  void test('dockerfile-utils finds nothing, and does find errors in a broken file', () => {
    const problems = validate(text, strict).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    assert.deepEqual(problems, []);
    const broken =
      'FROM node:24-slim\nworkdir app\nEXPOSE 80/xyz\nHEALTHCHECK --interval=3 CMD true\nCOPYY a b\n';
    assert.ok(validate(broken, strict).length >= 4, 'the linter reports problems');
  });

  void test('passes the hadolint rules, which do catch a bad file', () => {
    assert.deepEqual(lintDockerfile(text), []);
    const bad = [
      'FROM node',
      'FROM node:latest AS b',
      'ADD x.js /x.js',
      'COPY --from=nowhere /a b',
      'RUN cd /tmp && npm install && curl x | sh',
      'CMD node x.js',
      'USER root',
    ].join('\n');
    const rules = new Set(lintDockerfile(bad).map((f) => f.rule));
    for (const r of [
      'DL3006',
      'DL3007',
      'DL3020',
      'DL3022',
      'DL3045',
      'DL3003',
      'DL3016',
      'DL4006',
      'DL3025',
      'DL3002',
      'DL3057',
    ])
      assert.ok(rules.has(r), `${r} reported`);
  });

  void test('is multi-stage: build with dev dependencies, run with production ones only', () => {
    assert.ok(all.length >= 2, 'several stages');
    const runs = (s: (typeof all)[number]) =>
      s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const build = all.find((s) => s.name === 'build');
    assert.ok(
      build &&
        runs(build).some((r) => r.includes('npm ci')) &&
        runs(build).some((r) => /npm run build|tsc/.test(r)),
    );
    assert.ok(
      all.some((s) => runs(s).some((r) => /npm ci .*--omit=dev/.test(r))),
      'production install',
    );
    const copies = args('COPY');
    assert.ok(
      copies.some((c) => c.startsWith('--from=build ') && c.includes('dist')),
      'compiled code from build',
    );
    assert.ok(
      !copies.some((c) => /\bruntime\b|tsconfig/.test(c) && !c.startsWith('--from')),
      'no sources in the final image',
    );
  });

  void test('uses a Node LTS base that the project supports', () => {
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } })
      .engines.node;
    const min = Number(/>=\s*(\d+)/.exec(engines)?.[1]);
    for (const s of all) {
      const m = /^node:(\d+)(?:\.\d+)*-(slim|alpine|bookworm-slim|trixie-slim)$/.exec(s.image);
      assert.ok(m, `${s.image}: a slim official Node image`);
      const major = Number(m[1]);
      assert.ok(major >= min && major % 2 === 0, `Node ${major}: an LTS line (even) >= ${min}`);
    }
  });

  void test('runs as a non-root user', () => {
    const user = args('USER').at(-1);
    assert.ok(user, 'a USER in the final stage');
    assert.notEqual(user.split(':')[0], 'root');
    assert.notEqual(user.split(':')[0], '0');
  });

  void test('keeps the state dir on a volume, exposes the HTTP port, checks /healthz', () => {
    const stateDir = env.get('STREAMFOLD_STATE_DIR');
    assert.ok(stateDir, 'STREAMFOLD_STATE_DIR set');
    assert.ok(
      args('VOLUME').some((v) => v.includes(`"${stateDir}"`)),
      'state dir is a VOLUME',
    );
    assert.ok(
      args('RUN').some((r) => r.includes(`chown node:node ${stateDir}`)),
      'the user can write it',
    );
    const port = env.get('STREAMFOLD_HTTP_PORT');
    assert.deepEqual(args('EXPOSE'), [port]);
    assert.equal(env.get('STREAMFOLD_HTTP_HOST'), '0.0.0.0', 'reachable from outside the container');
    const check = args('HEALTHCHECK')[0] ?? '';
    assert.match(check, /CMD \["node", "-e", ".*\/healthz/);
    assert.match(check, /STREAMFOLD_HTTP_PORT/);
  });

  void test('runs streamfold, `run` by default', () => {
    assert.deepEqual(JSON.parse(args('ENTRYPOINT')[0] ?? 'null'), ['streamfold']);
    assert.deepEqual(JSON.parse(args('CMD')[0] ?? 'null'), ['run']);
    assert.ok(args('RUN').some((r) => r.includes('ln -s /app/bin/streamfold.js /usr/local/bin/streamfold')));
  });

  void test('copies only files that exist and that .dockerignore lets into the build context', () => {
    const allowed = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1));
    assert.ok(
      readFileSync('.dockerignore', 'utf8').split('\n').includes('*'),
      'an allow-list: everything else is out',
    );
    for (const s of all) {
      for (const ins of s.instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
        const sources = ins.args.split(/\s+/).slice(0, -1);
        for (const src of sources) {
          assert.ok(existsSync(src), `${src} (line ${ins.line}) exists`);
          assert.ok(allowed.includes(src), `${src} (line ${ins.line}) is allowed by .dockerignore`);
        }
      }
    }
  });
});
