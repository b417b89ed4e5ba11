// `streamfold run --workers N`: settles once what every worker would otherwise race for (the
// definition's errors, the local broker, --create-source-topics), then hands over to the
// supervisor (runtime/workers/). The workers are plain `streamfold run` processes.
import { createLogger } from '../log/logger.ts';
import { superviseWorkers } from '../workers/supervisor.ts';
import { GENERATOR_RATE, prepareRun, type RunOptions, STOP_TIMEOUT_MS } from './run.ts';

export async function runWorkers(opts: RunOptions): Promise<number> {
  const logger = createLogger();
  const prepared = await prepareRun(opts, logger);
  if ('code' in prepared) return prepared.code;
  const { brokers, stateDir, httpSettings } = prepared;
  // A token given as a flag reaches the workers by environment, out of `ps`.
  if (opts.httpToken) process.env.STREAMFOLD_HTTP_TOKEN = opts.httpToken;
  const args = ['-c', opts.config];
  if (opts.httpAdvertisedHost) args.push('--http-advertised-host', opts.httpAdvertisedHost);
  const firstWorkerArgs =
    opts.withGenerator === undefined
      ? []
      : ['--with-generator', String(opts.withGenerator === true ? GENERATOR_RATE : opts.withGenerator)];
  try {
    return await superviseWorkers({
      count: opts.workers ?? 1,
      logger,
      brokers,
      stateDir,
      args,
      firstWorkerArgs,
      http: httpSettings
        ? { host: httpSettings.host, port: httpSettings.port, token: httpSettings.token }
        : null,
      // Each worker has its own stop deadline; this one only backs them up.
      stopTimeoutMs: STOP_TIMEOUT_MS + 5_000,
    });
  } catch (err) {
    console.error(
      `streamfold run: cannot serve HTTP on ${httpSettings?.host}:${httpSettings?.port}: ${(err as Error).message}`,
    );
    return 2;
  }
}
