// The commands benchmark's JVM reference: the "group-commit" writer of ceiling.ts written with Apache Kafka's
// own Java producer (the broker's version), to tell what the broker and this machine allow from what kafkajs
// allows. Closed-loop clients (threads) append one event each and wait for the transaction that carries it;
// one transactional producer per partition appends everything queued while its previous transaction
// committed. The Java client speaks the newest transaction protocol the broker offers (KIP-890's
// transaction version 2 where enabled: partitions join a transaction with the produce request itself).
//
// java -cp <kafka jars>:<classes> JavaTransactionalCeiling bootstrap=… topic=… partitions=6 clients=16
//   seconds=10 tag=…  →  one JSON line: {"event":"java-ceiling","clients":…,"appended":…,"rate":…,"p50Ms":…,"p99Ms":…}
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

public class JavaTransactionalCeiling {
  record Append(String key, String value, CompletableFuture<Void> done) {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      args.put(a.substring(0, eq), a.substring(eq + 1));
    }
    String topic = args.get("topic");
    int partitions = Integer.parseInt(args.getOrDefault("partitions", "6"));
    int clients = Integer.parseInt(args.getOrDefault("clients", "16"));
    long seconds = Long.parseLong(args.getOrDefault("seconds", "10"));
    String tag = args.getOrDefault("tag", "java-ceiling");

    List<LinkedBlockingQueue<Append>> queues = new ArrayList<>();
    List<KafkaProducer<String, String>> producers = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args.get("bootstrap"));
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, tag + "-" + p);
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
      props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      KafkaProducer<String, String> producer = new KafkaProducer<>(props);
      producer.initTransactions();
      producers.add(producer);
      queues.add(new LinkedBlockingQueue<>());
    }

    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> writers = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      final int partition = p;
      Thread w = new Thread(() -> {
        KafkaProducer<String, String> producer = producers.get(partition);
        LinkedBlockingQueue<Append> queue = queues.get(partition);
        List<Append> batch = new ArrayList<>();
        // After an error the transaction is aborted and the writer goes on; if it cannot abort (a fatal
        // error), it fails every later append, so no client waits forever for a writer that stopped.
        Exception dead = null;
        while (running.get() || !queue.isEmpty()) {
          try {
            Append first = queue.poll(50, TimeUnit.MILLISECONDS);
            if (first == null) continue;
            batch.add(first);
            queue.drainTo(batch);
            if (dead != null) throw dead;
            producer.beginTransaction();
            for (Append a : batch) producer.send(new ProducerRecord<>(topic, partition, a.key(), a.value()));
            producer.commitTransaction();
            for (Append a : batch) a.done().complete(null);
          } catch (Exception e) {
            for (Append a : batch) a.done().completeExceptionally(e);
            if (dead == null) {
              System.err.println("writer " + partition + ": " + e);
              try {
                producer.abortTransaction();
              } catch (Exception fatal) {
                dead = fatal;
              }
            }
          } finally {
            batch.clear();
          }
        }
      });
      w.start();
      writers.add(w);
    }

    long started = System.nanoTime();
    long stopAt = started + TimeUnit.SECONDS.toNanos(seconds);
    List<double[]> latencies = new ArrayList<>();
    long[] appended = new long[clients];
    long[] failed = new long[clients];
    List<Thread> clientThreads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      final int client = c;
      double[] mine = new double[4_000_000 / Math.max(1, clients)];
      latencies.add(mine);
      Thread t = new Thread(() -> {
        Random random = new Random(client);
        int n = 0;
        while (System.nanoTime() < stopAt) {
          String key = "acc-" + random.nextInt(60);
          String value = "{\"eventType\":\"MoneyDeposited\",\"accountId\":\"" + key + "\",\"amount\":1,\"n\":" + n + "}";
          byte[] keyBytes = key.getBytes();
          int partition = Utils.toPositive(Utils.murmur2(keyBytes)) % partitions;
          long t0 = System.nanoTime();
          CompletableFuture<Void> done = new CompletableFuture<>();
          queues.get(partition).add(new Append(key, value, done));
          try {
            done.get();
          } catch (Exception e) {
            failed[client]++;
            continue;
          }
          if (n < mine.length) mine[n] = (System.nanoTime() - t0) / 1e6;
          n++;
          appended[client]++;
        }
      });
      t.start();
      clientThreads.add(t);
    }
    for (Thread t : clientThreads) t.join();
    double elapsedS = (System.nanoTime() - started) / 1e9;
    running.set(false);
    for (Thread w : writers) w.join();
    for (KafkaProducer<String, String> p : producers) p.close();

    long total = Arrays.stream(appended).sum();
    double[] all = new double[(int) Math.min(total, Integer.MAX_VALUE)];
    int i = 0;
    for (int c = 0; c < clients; c++) {
      int count = (int) Math.min(appended[c], latencies.get(c).length);
      System.arraycopy(latencies.get(c), 0, all, i, count);
      i += count;
    }
    double[] sorted = Arrays.copyOf(all, i);
    Arrays.sort(sorted);
    System.out.printf(
        "{\"event\":\"java-ceiling\",\"clients\":%d,\"appended\":%d,\"failed\":%d,\"seconds\":%.2f,\"rate\":%.1f,\"p50Ms\":%.2f,\"p99Ms\":%.2f}%n",
        clients, total, Arrays.stream(failed).sum(), elapsedS, total / elapsedS, quantile(sorted, 0.5), quantile(sorted, 0.99));
  }

  static double quantile(double[] sorted, double q) {
    if (sorted.length == 0) return 0;
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
