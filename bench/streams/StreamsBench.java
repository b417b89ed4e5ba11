// The Kafka Streams peer of the streamfold benchmark: the same work as the streamfold projections that
// bench/harness generates, with settings chosen to match streamfold's (printed on start, one JSON line).
// It talks to the harness through JSON lines on stdout: settings, running, restored.
//
//   java -cp "<classes>:<streams-libs>/*" StreamsBench scenario=groupby|join|table \
//        bootstrap=H:P app=ID state=DIR guarantee=at_least_once|exactly_once_v2 \
//        input=T[,T2] output=T threads=1 commitMs=100 cacheBytes=10485760
//
// groupby: orders stream -> group by customerId (repartition) -> sum(amount) -> {"total":N}
// join:    orders table x customers table, foreign key customerId, inner -> order + customer name
// table:   events stream -> group by the record key -> sum(amount): a store with one row per key, used for
//          the cold-restore scenario (the harness wipes `state` and restarts with the same app id)
// windowed-count: orders stream (event time placedAt) -> group by customerId -> tumbling windowSizeMs, grace
//          windowGraceMs, retention size + grace -> count -> key {"key":..,"window":{"end":..,"start":..}}
//          (streamfold's JSON windowed key), value {"count":N}
// stream-join: orders (placedAt) x payments (paidAt) on the record key, within joinWithinMs before and
//          after, grace joinGraceMs, inner -> {"customerId","amount","paidAt"}
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.state.WindowStore;
import java.time.Duration;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TableJoined;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.KeyValueStore;

public class StreamsBench {
  static final ObjectMapper M = new ObjectMapper();

  static final Serde<JsonNode> JSON = Serdes.serdeFrom(
      (Serializer<JsonNode>) (topic, n) -> {
        try {
          return n == null ? null : M.writeValueAsBytes(n);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      },
      (Deserializer<JsonNode>) (topic, b) -> {
        try {
          return b == null ? null : M.readTree(b);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });

  static void emit(Map<String, Object> fields) {
    try {
      synchronized (System.out) {
        System.out.println(M.writeValueAsString(fields));
        System.out.flush();
      }
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** Event time from a numeric field of the JSON value (the value is deserialized before extraction). */
  static TimestampExtractor timeField(String field) {
    return (record, partitionTime) -> ((JsonNode) record.value()).get(field).asLong();
  }

  static Map<String, Object> event(String name) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("event", name);
    m.put("t", System.currentTimeMillis());
    return m;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String s : argv) {
      int i = s.indexOf('=');
      if (i < 0) throw new IllegalArgumentException("expected key=value, got " + s);
      a.put(s.substring(0, i), s.substring(i + 1));
    }
    String scenario = a.get("scenario");
    String[] inputs = a.get("input").split(",");
    String output = a.get("output");

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, a.get("app"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap"));
    p.put(StreamsConfig.STATE_DIR_CONFIG, a.get("state"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, a.getOrDefault("guarantee", StreamsConfig.AT_LEAST_ONCE));
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // defaults=true: Kafka Streams as a user gets it (commit every 30 s at-least-once, 100 ms under
    // exactly-once; its own cache, thread and client defaults). Otherwise the same settings as streamfold.
    if (!Boolean.parseBoolean(a.getOrDefault("defaults", "false"))) {
      // streamfold commits (and, under exactly-once, ends its transaction) every commitIntervalMs: same cadence here
      p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Integer.parseInt(a.getOrDefault("commitMs", "100")));
      // streamfold collapses updates per key until the commit, like this record cache
      p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.parseLong(a.getOrDefault("cacheBytes", "10485760")));
      p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(a.getOrDefault("threads", "1")));
      p.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.NO_OPTIMIZATION);
      // Kafka Streams' own producer defaults, stated explicitly so that they are printed
      p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), Integer.parseInt(a.getOrDefault("lingerMs", "100")));
      p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), Integer.parseInt(a.getOrDefault("batchSize", "16384")));
      p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), a.getOrDefault("compression", "none"));
      p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 1000);
    }

    StreamsBuilder b = new StreamsBuilder();
    switch (scenario) {
      case "groupby" -> b.stream(inputs[0], Consumed.with(Serdes.String(), JSON))
          .groupBy((k, v) -> v.get("customerId").asText(), Grouped.with("by-customer", Serdes.String(), JSON))
          .aggregate(() -> 0L, (k, v, sum) -> sum + v.get("amount").asLong(),
              Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("totals")
                  .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
          .toStream()
          .mapValues(v -> "{\"total\":" + v + "}")
          .to(output, Produced.with(Serdes.String(), Serdes.String()));
      case "table" -> b.stream(inputs[0], Consumed.with(Serdes.String(), JSON))
          .groupByKey(Grouped.with("by-key", Serdes.String(), JSON))
          .aggregate(() -> 0L, (k, v, sum) -> sum + v.get("amount").asLong(),
              Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("totals")
                  .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
          .toStream()
          .mapValues(v -> "{\"total\":" + v + "}")
          .to(output, Produced.with(Serdes.String(), Serdes.String()));
      case "join" -> {
        KTable<String, JsonNode> orders = b.table(inputs[0], Consumed.with(Serdes.String(), JSON),
            Materialized.<String, JsonNode, KeyValueStore<Bytes, byte[]>>as("orders")
                .withKeySerde(Serdes.String()).withValueSerde(JSON));
        KTable<String, JsonNode> customers = b.table(inputs[1], Consumed.with(Serdes.String(), JSON),
            Materialized.<String, JsonNode, KeyValueStore<Bytes, byte[]>>as("customers")
                .withKeySerde(Serdes.String()).withValueSerde(JSON));
        orders.join(customers, o -> o.get("customerId").asText(),
                (o, c) -> {
                  ObjectNode out = M.createObjectNode();
                  out.set("customerId", o.get("customerId"));
                  out.set("amount", o.get("amount"));
                  out.set("customer", c.get("name"));
                  return (JsonNode) out;
                },
                TableJoined.as("order-customer"))
            .toStream()
            .to(output, Produced.with(Serdes.String(), JSON));
      }
      case "windowed-count" -> {
        Duration size = Duration.ofMillis(Long.parseLong(a.get("windowSizeMs")));
        Duration grace = Duration.ofMillis(Long.parseLong(a.get("windowGraceMs")));
        b.stream(inputs[0], Consumed.with(Serdes.String(), JSON).withTimestampExtractor(timeField("placedAt")))
            .groupBy((k, v) -> v.get("customerId").asText(), Grouped.with("by-customer", Serdes.String(), JSON))
            .windowedBy(TimeWindows.ofSizeAndGrace(size, grace))
            // streamfold's default retention: size + grace (Kafka Streams' own default would be one day)
            .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("counts")
                .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long())
                .withRetention(size.plus(grace)))
            .toStream()
            .map((wk, n) -> KeyValue.pair(
                "{\"key\":\"" + wk.key() + "\",\"window\":{\"end\":" + wk.window().end()
                    + ",\"start\":" + wk.window().start() + "}}",
                "{\"count\":" + n + "}"))
            .to(output, Produced.with(Serdes.String(), Serdes.String()));
      }
      case "stream-join" -> {
        KStream<String, JsonNode> orders = b.stream(inputs[0],
            Consumed.with(Serdes.String(), JSON).withTimestampExtractor(timeField("placedAt")));
        KStream<String, JsonNode> payments = b.stream(inputs[1],
            Consumed.with(Serdes.String(), JSON).withTimestampExtractor(timeField("paidAt")));
        orders.join(payments,
                (o, pay) -> {
                  ObjectNode out = M.createObjectNode();
                  out.set("customerId", o.get("customerId"));
                  out.set("amount", o.get("amount"));
                  out.set("paidAt", pay.get("paidAt"));
                  return (JsonNode) out;
                },
                JoinWindows.ofTimeDifferenceAndGrace(
                    Duration.ofMillis(Long.parseLong(a.get("joinWithinMs"))),
                    Duration.ofMillis(Long.parseLong(a.get("joinGraceMs")))),
                StreamJoined.with(Serdes.String(), JSON, JSON).withStoreName("paid"))
            .to(output, Produced.with(Serdes.String(), JSON));
      }
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }

    KafkaStreams ks = new KafkaStreams(b.build(p), p);

    // Restore accounting: the run counts as restored once every restore that started has ended and the
    // instance is RUNNING (Kafka Streams reaches RUNNING only after restoring active tasks).
    ConcurrentHashMap<TopicPartition, Long> restoring = new ConcurrentHashMap<>();
    AtomicLong restored = new AtomicLong();
    AtomicLong restoreStart = new AtomicLong();
    AtomicLong restoreEnd = new AtomicLong();
    AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
    ks.setGlobalStateRestoreListener(new StateRestoreListener() {
      @Override
      public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
        restoreStart.compareAndSet(0, System.currentTimeMillis());
        restoring.put(tp, end - start);
      }

      @Override
      public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long n) {}

      @Override
      public void onRestoreEnd(TopicPartition tp, String store, long total) {
        restored.addAndGet(total);
        ended.incrementAndGet();
        restoring.remove(tp);
        restoreEnd.set(System.currentTimeMillis());
      }
    });

    AtomicBoolean failed = new AtomicBoolean();
    ks.setUncaughtExceptionHandler(ex -> {
      Map<String, Object> e = event("error");
      e.put("message", String.valueOf(ex));
      emit(e);
      failed.set(true);
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
          .SHUTDOWN_CLIENT;
    });

    Map<String, Object> settings = event("settings");
    settings.put("kafkaStreams", org.apache.kafka.common.utils.AppInfoParser.getVersion());
    settings.put("java", System.getProperty("java.version"));
    settings.put("maxHeapMb", Runtime.getRuntime().maxMemory() >> 20);
    settings.put("stateStore", "RocksDB (default persistent store), changelog on");
    Map<String, Object> config = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) config.put(k, p.getProperty(k));
    settings.put("config", config);
    emit(settings);

    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Leave the group: Kafka Streams stays in it by default, and the restore run (same application id)
      // would then wait a whole session timeout for this member to expire.
      ks.close(org.apache.kafka.streams.CloseOptions.timeout(java.time.Duration.ofSeconds(20))
          .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      closed.countDown();
    }));
    ks.start();
    // With the state updater, restoration runs beside a RUNNING stream thread, so "ready" is decided here:
    // RUNNING, and (when the harness expects a restore) every expected changelog partition restored.
    int expectRestored = Integer.parseInt(a.getOrDefault("restorePartitions", "0"));
    while (true) {
      KafkaStreams.State s = ks.state();
      if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING || failed.get()) break;
      if (s == KafkaStreams.State.RUNNING && restoring.isEmpty() && ended.get() >= expectRestored) {
        Map<String, Object> e = event("running");
        e.put("restoredRecords", restored.get());
        e.put("restoredPartitions", ended.get());
        e.put("restoreMs", restoreEnd.get() > 0 ? restoreEnd.get() - restoreStart.get() : 0);
        emit(e);
        break;
      }
      Thread.sleep(10);
    }
    KafkaStreams.State last = ks.state();
    if (failed.get() || last == KafkaStreams.State.ERROR || last == KafkaStreams.State.NOT_RUNNING) {
      Map<String, Object> e = event("stopped");
      e.put("state", String.valueOf(last));
      emit(e);
      System.exit(1);
    }
    closed.await();
  }
}
