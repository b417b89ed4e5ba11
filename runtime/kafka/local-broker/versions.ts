// One Kafka version for everyone: the local broker, the tests and the Kafka Streams peer benchmark.
// kafka/pom.xml and kafka/streams.pom.xml carry the same default; the installer passes this value explicitly.
export const KAFKA_VERSION = '4.3.1';

// Newest Apicurio Registry on Maven Central that runs on Java 17 (3.2+ targets Java 21; 3.1.x is not published
// as apicurio-registry-app there).
export const APICURIO_VERSION = '3.0.9';

// The Debezium JDBC sink connector run by Kafka Connect beside the views benchmark (bench/, scenario h):
// the newest release whose dependencies all resolve from Maven Central (3.6.x needs a Hibernate build
// that is not published there).
export const DEBEZIUM_JDBC_VERSION = '3.5.0.Final';

export const DEFAULT_KAFKA_PORT = 39092;
export const DEFAULT_REGISTRY_PORT = 39081;
export const LOCAL_HOST = '127.0.0.1';
