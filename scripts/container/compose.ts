// The compose part of the container check: `docker compose` brings up the quickstart stack where a
// compose plugin (or the docker-compose binary) exists and its images can be pulled. Where not, the
// result says what was not run and why; it never counts as a failure of the image.
import { docker, type Engine, hasCommand, lastLines, run } from './engine.ts';

export interface ComposeResult {
  status: 'PASS' | 'FAIL' | 'NOT RUN';
  detail: string;
}

const PULL_TIMEOUT_MS = 60_000;

export function composeCheck(engine: Engine, projectName: string): ComposeResult {
  const compose: (args: string[], timeoutMs?: number) => ReturnType<typeof run> =
    docker(engine, ['compose', 'version']).code === 0
      ? (args, timeoutMs) => docker(engine, ['compose', '--project-name', projectName, ...args], timeoutMs)
      : hasCommand('docker-compose')
        ? (args, timeoutMs) =>
            run('docker-compose', ['--project-name', projectName, ...args], { env: engine.env, timeoutMs })
        : () => ({ code: 127, stdout: '', stderr: 'no compose' });
  if (compose(['version']).code === 127)
    return {
      status: 'NOT RUN',
      detail:
        'docker compose up: neither the compose plugin nor docker-compose is installed here; the stack also ' +
        'needs the apache/kafka and Apicurio images from Docker Hub (docker-compose.yml is checked by schema in npm test)',
    };
  const config = compose(['config', '--quiet']);
  if (config.code !== 0) return { status: 'FAIL', detail: `compose config: ${lastLines(config.stderr)}` };
  const pull = compose(['pull', '--quiet', 'kafka', 'registry'], PULL_TIMEOUT_MS);
  if (pull.code !== 0)
    return {
      status: 'NOT RUN',
      detail:
        `docker compose up: the file is valid (compose config), but the kafka and registry images cannot be ` +
        `pulled here (${lastLines(pull.stderr)})`,
    };
  try {
    const up = compose(['up', '--detach', '--build', '--wait'], 10 * 60_000);
    if (up.code !== 0) return { status: 'FAIL', detail: `compose up: ${lastLines(up.stderr)}` };
    return { status: 'PASS', detail: 'docker compose up --wait: every service healthy' };
  } finally {
    compose(['down', '--volumes', '--remove-orphans'], 120_000);
  }
}
