// npm run kafka:start | kafka:stop | kafka:install | kafka:status
//   start   [--registry] [--fresh] [--port N]   start the local broker (a no-op when it is already up)
//   stop    [--port N]                           stop the local broker and the local registry, if running
//   stop    --all                                stop every broker/registry started from this checkout,
//                                                including those of interrupted test runs
//   install [--registry] [--streams] [--connect] resolve the jars only (CI does this before the tests);
//                                                --connect: Kafka Connect + the Debezium JDBC sink (bench h)
//   status  [--port N]
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cacheRoot,
  ensureLocalBroker,
  ensureLocalRegistry,
  installKafka,
  installKafkaConnect,
  installKafkaStreams,
  installRegistry,
  KAFKA_VERSION,
  LocalServiceError,
  localBrokerStatus,
  localRegistryStatus,
  stopLocalBroker,
  stopLocalRegistry,
} from '../runtime/kafka/local-broker/index.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    registry: { type: 'boolean', default: false },
    streams: { type: 'boolean', default: false },
    connect: { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
    port: { type: 'string' },
    'registry-port': { type: 'string' },
  },
});
const port = values.port ? Number(values.port) : undefined;
const registryPort = values['registry-port'] ? Number(values['registry-port']) : undefined;
const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'start': {
      const broker = await ensureLocalBroker({ port, fresh: values.fresh, log: say });
      say(
        broker.started
          ? `Kafka ${KAFKA_VERSION} broker started on ${broker.brokers.join(',')} (pid ${broker.pid}, log ${broker.logFile})`
          : `Kafka broker already running on ${broker.brokers.join(',')}`,
      );
      if (values.registry) {
        const registry = await ensureLocalRegistry({ port: registryPort, log: say });
        say(
          registry.started
            ? `Apicurio Registry started on ${registry.url} (pid ${registry.pid}, log ${registry.logFile})`
            : `schema registry already running on ${registry.url}`,
        );
      }
      return;
    }
    case 'stop': {
      if (values.all) {
        say(`stopped ${await stopAll()} local broker/registry process(es)`);
        return;
      }
      const registryStopped = await stopLocalRegistry({ port: registryPort });
      if (registryStopped) say('schema registry stopped');
      say((await stopLocalBroker({ port })) ? 'Kafka broker stopped' : 'no local Kafka broker was running');
      return;
    }
    case 'install': {
      say(`Kafka jars: ${await installKafka({ log: say })}`);
      if (values.streams) say(`Kafka Streams jars: ${await installKafkaStreams({ log: say })}`);
      if (values.connect) {
        const connect = await installKafkaConnect({ log: say });
        say(`Kafka Connect jars: ${connect.libs}; Debezium JDBC sink plugin: ${connect.plugin}`);
      }
      if (values.registry) say(`Apicurio Registry: ${await installRegistry({ log: say })}`);
      return;
    }
    case 'status': {
      const b = localBrokerStatus({ port });
      say(b.pid ? `broker: running on ${b.brokers.join(',')} (pid ${b.pid})` : 'broker: not running');
      const r = localRegistryStatus({ port: registryPort });
      say(r.pid ? `registry: running on ${r.url} (pid ${r.pid})` : 'registry: not running');
      return;
    }
    default:
      throw new Error(`usage: kafka.ts start|stop|install|status (got ${command ?? 'nothing'})`);
  }
}

/** Stops everything with a state dir under .cache/: broker/<port>, registry/<port>, test-runs/<pid>/{broker,registry}. */
async function stopAll(): Promise<number> {
  const subdirs = (dir: string) =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => join(dir, e.name))
      : [];
  const root = cacheRoot();
  const runs = subdirs(join(root, 'test-runs'));
  const brokers = [...subdirs(join(root, 'broker')), ...runs.map((r) => join(r, 'broker'))];
  const registries = [...subdirs(join(root, 'registry')), ...runs.map((r) => join(r, 'registry'))];
  let stopped = 0;
  for (const stateDir of registries) if (await stopLocalRegistry({ stateDir })) stopped++;
  for (const stateDir of brokers) if (await stopLocalBroker({ stateDir })) stopped++;
  return stopped;
}

try {
  await main(positionals[0]);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof LocalServiceError && err.logTail) {
    process.stderr.write(`--- last lines of ${err.logFile} ---\n${err.logTail}\n`);
  }
  process.exitCode = 1;
}
