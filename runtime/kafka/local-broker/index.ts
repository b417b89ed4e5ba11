// A real Apache Kafka broker (and optionally a schema registry) for development, tests and CI, started from
// jars that Maven resolves from Maven Central. No Docker, no tarball.
export { ensureLocalBroker, localBrokerStatus, stopLocalBroker } from './broker.ts';
export { LocalServiceError } from './jvm-service.ts';
export type { LocalBroker, LocalBrokerOptions } from './broker.ts';
export { ensureLocalRegistry, localRegistryStatus, stopLocalRegistry } from './registry.ts';
export type { LocalRegistry, LocalRegistryOptions } from './registry.ts';
export { installKafka, installKafkaConnect, installKafkaStreams, installRegistry } from './install.ts';
export { cacheRoot, kafkaConnectPluginsDir, kafkaLibDir, kafkaStreamsLibDir } from './paths.ts';
export {
  APICURIO_VERSION,
  DEBEZIUM_JDBC_VERSION,
  DEFAULT_KAFKA_PORT,
  DEFAULT_REGISTRY_PORT,
  KAFKA_VERSION,
} from './versions.ts';
