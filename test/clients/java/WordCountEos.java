// Kafka Streams' word count (the WordCountDemo of Kafka's streams examples), run unchanged
// with processing.guarantee=exactly_once_v2, for test/clients/transactions-streams.test.ts.
//
//   java WordCountEos restart <bootstrap> <prefix> <lines-file> <expected-file> <state-dir>
//
//     Writes the first half of the lines to the input topic, runs one instance of the
//     application until the output shows it has counted them, closes it (leaving the group),
//     writes the second half, and runs a second instance with an empty state directory, so
//     that it restores the counts from the changelog (read_committed) before going on.
//
//   java WordCountEos crash <bootstrap> <prefix> <lines-file> <crash-at-line> <state-dir>
//   java WordCountEos after-crash <bootstrap> <prefix> <lines-file> <crash-at-line> <expected-file> <state-dir>
//
//     crash: writes the first 100 lines, runs an instance until the output shows counts, then
//     writes lines one by one up to <crash-at-line> (excluded) while it processes them, and
//     halts the JVM (Runtime.halt: no shutdown hook, no close, no commit, as SIGKILL), most
//     likely with a transaction open (it commits every 2 s). after-crash: lists the
//     transactions (the crashed one should be Ongoing), writes the rest and runs a new
//     instance with an empty state directory: the crashed instance's open transaction must be
//     aborted (at its timeout: the new instance has another transactional id) and never
//     counted. It also prints the output as read_uncommitted reads it (the aborted counts).
//
// Both then print every record of the output topic as read_committed sees it; the Node test
// checks them against the input.
//
// When is an instance done? Not when its input offsets are committed: the count runs in a
// second sub-topology behind the repartition topic. It is done when read_committed shows, for
// every word, a count at least the one the test computed (<expected-file>: lines of
// "word<TAB>count after the first half<TAB>count after all"); those counts are only a stopping
// rule here, the test asserts on what was read. Counts that never arrive end in a timeout.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Produced;

public final class WordCountEos {
  private static final int PARTITIONS = 2;

  public static void main(String[] args) {
    String mode = args[0];
    String bootstrap = args[1];
    String prefix = args[2];
    Path linesFile = Path.of(args[3]);
    Out.run(() -> {
      switch (mode) {
        case "restart" -> restart(bootstrap, prefix, linesFile, Path.of(args[4]), Path.of(args[5]));
        case "crash" -> crash(bootstrap, prefix, linesFile, Integer.parseInt(args[4]), Path.of(args[5]));
        case "after-crash" -> afterCrash(bootstrap, prefix, linesFile, Integer.parseInt(args[4]), Path.of(args[5]), Path.of(args[6]));
        default -> throw new IllegalArgumentException("unknown mode " + mode);
      }
    });
  }

  /** The application, as WordCountDemo builds it. */
  static KafkaStreams wordCount(String bootstrap, String appId, String input, String output, Path stateDir) {
    return wordCount(bootstrap, appId, input, output, stateDir, new Properties());
  }

  static KafkaStreams wordCount(String bootstrap, String appId, String input, String output, Path stateDir, Properties overrides) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    // Fail within the test's budget rather than Kafka's defaults (a minute per blocking call).
    props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_BLOCK_MS_CONFIG), Out.BLOCK_MS);
    props.put(StreamsConfig.consumerPrefix("default.api.timeout.ms"), Out.BLOCK_MS);
    // A crashed instance leaves the group when its session times out (Kafka's default 45 s):
    // the broker's minimum, so that the next instance's rebalance does not wait for long.
    props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);
    props.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 1500);
    props.putAll(overrides);

    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, String> source = builder.stream(input);
    KTable<String, Long> counts = source
        .flatMapValues(value -> Arrays.asList(value.toLowerCase(Locale.getDefault()).split(" ")))
        .groupBy((key, value) -> value)
        .count();
    counts.toStream().to(output, Produced.with(Serdes.String(), Serdes.Long()));
    return new KafkaStreams(builder.build(), props);
  }

  static Map<String, Long> expectedColumn(Path expectedFile, int column) throws Exception {
    Map<String, Long> m = new HashMap<>();
    for (String l : Files.readAllLines(expectedFile, StandardCharsets.UTF_8)) {
      String[] f = l.split("\\t");
      if (f.length == 3 && Long.parseLong(f[column]) > 0) m.put(f[0], Long.parseLong(f[column]));
    }
    return m;
  }

  static String input(String prefix) {
    return prefix + "-plaintext-input";
  }

  static String output(String prefix) {
    return prefix + "-wordcount-output";
  }

  static String appId(String prefix) {
    return prefix + "-wordcount";
  }

  static void createTopics(String bootstrap, String prefix) throws Exception {
    Topics.transactionVersion(bootstrap);
    Topics.create(bootstrap, input(prefix), PARTITIONS);
    Topics.create(bootstrap, output(prefix), PARTITIONS);
  }

  static void restart(String bootstrap, String prefix, Path linesFile, Path expectedFile, Path stateDir) throws Exception {
    createTopics(bootstrap, prefix);
    List<String> lines = Files.readAllLines(linesFile, StandardCharsets.UTF_8);
    int half = lines.size() / 2;
    try (OutputWatch watch = new OutputWatch(bootstrap, output(prefix))) {
      produce(bootstrap, input(prefix), lines.subList(0, half));
      runUntil(bootstrap, prefix, stateDir.resolve("instance-1"), 1, watch, expectedColumn(expectedFile, 1));
      produce(bootstrap, input(prefix), lines.subList(half, lines.size()));
      runUntil(bootstrap, prefix, stateDir.resolve("instance-2"), 2, watch, expectedColumn(expectedFile, 2));
    }
    Topics.drain(bootstrap, output(prefix), "read_committed", "read_committed", new LongDeserializer());
  }

  static void crash(String bootstrap, String prefix, Path linesFile, int crashAt, Path stateDir) throws Exception {
    createTopics(bootstrap, prefix);
    List<String> lines = Files.readAllLines(linesFile, StandardCharsets.UTF_8);
    final int first = 100;
    produce(bootstrap, input(prefix), lines.subList(0, first));
    Path dir = stateDir.resolve("instance-1");
    Files.createDirectories(dir);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    // Commits every 2 s rather than EOS's 100 ms, and writes every count as it changes (no
    // record cache), so that the halt lands inside a transaction that has written to the
    // repartition topic, the changelog and the output: the crash leaves records to abort.
    Properties crashing = new Properties();
    crashing.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 2000);
    crashing.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    KafkaStreams streams = wordCount(bootstrap, appId(prefix), input(prefix), output(prefix), dir, crashing);
    streams.setUncaughtExceptionHandler(e -> {
      failed.set(e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.start();
    try (OutputWatch watch = new OutputWatch(bootstrap, output(prefix))) {
      long deadline = System.nanoTime() + 2 * Out.BLOCK.toNanos();
      while (watch.latest.isEmpty()) {
        if (failed.get() != null) throw new IllegalStateException("instance 1 failed", failed.get());
        if (System.nanoTime() > deadline) throw new IllegalStateException("instance 1 wrote no count in " + 2 * Out.BLOCK.toSeconds() + " s; state " + streams.state());
        watch.poll();
      }
    }
    Out.emit("counting", "instance", 1);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Out.BLOCK_MS);
    KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    for (int i = first; i < crashAt; i++) {
      producer.send(new ProducerRecord<>(input(prefix), i % PARTITIONS, null, lines.get(i))).get();
      Thread.sleep(6);
    }
    Out.emit("crash", "instance", 1, "linesWritten", crashAt, "state", streams.state().toString());
    Runtime.getRuntime().halt(137);
  }

  static void afterCrash(String bootstrap, String prefix, Path linesFile, int crashAt, Path expectedFile, Path stateDir) throws Exception {
    List<String> lines = Files.readAllLines(linesFile, StandardCharsets.UTF_8);
    Topics.transactionVersion(bootstrap);
    // What the crash left, for the test's diagnostics only (ListTransactions is not what is tested).
    try (Admin admin = Topics.admin(bootstrap)) {
      for (TransactionListing l : admin.listTransactions().all().get()) Out.emit("transaction", "id", l.transactionalId(), "state", l.state().toString());
    } catch (Exception e) {
      Out.emit("transaction", "error", Out.chain(e));
    }
    try (OutputWatch watch = new OutputWatch(bootstrap, output(prefix))) {
      produce(bootstrap, input(prefix), lines.subList(crashAt, lines.size()));
      runUntil(bootstrap, prefix, stateDir.resolve("instance-2"), 2, watch, expectedColumn(expectedFile, 2));
    }
    Topics.drain(bootstrap, output(prefix), "read_committed", "read_committed", new LongDeserializer());
    Topics.drain(bootstrap, output(prefix), "read_uncommitted", "read_uncommitted", new LongDeserializer());
  }

  /** The lines, keyless, spread over the partitions in turn, by a plain producer. */
  static void produce(String bootstrap, String topic, List<String> lines) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Out.BLOCK_MS);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < lines.size(); i++) producer.send(new ProducerRecord<>(topic, i % PARTITIONS, null, lines.get(i)));
      producer.flush();
    }
    Out.emit("produced", "topic", topic, "lines", lines.size());
  }

  /** A read_committed reader of the output topic, from its beginning: the latest count of each word. */
  static final class OutputWatch implements AutoCloseable {
    private final KafkaConsumer<String, Long> consumer;
    final Map<String, Long> latest = new HashMap<>();

    OutputWatch(String bootstrap, String output) {
      consumer = new KafkaConsumer<>(Topics.consumerProps(bootstrap, "read_committed"), new StringDeserializer(), new LongDeserializer());
      List<TopicPartition> tps = Topics.partitions(consumer, output);
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
    }

    void poll() {
      for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(200))) latest.put(r.key(), r.value());
    }

    boolean reached(Map<String, Long> expected) {
      for (Map.Entry<String, Long> e : expected.entrySet()) {
        Long got = latest.get(e.getKey());
        if (got == null || got < e.getValue()) return false;
      }
      return true;
    }

    /** The first few words whose count is short of the expected one, for a failure message. */
    String shortOf(Map<String, Long> expected) {
      StringBuilder sb = new StringBuilder("short (word read/expected):");
      int n = 0;
      for (Map.Entry<String, Long> e : expected.entrySet()) {
        Long got = latest.get(e.getKey());
        if (got != null && got >= e.getValue()) continue;
        if (n++ == 10) return sb.append(" ...").toString();
        sb.append(' ').append(e.getKey()).append(' ').append(got).append('/').append(e.getValue());
      }
      return sb.toString();
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  /**
   * Starts an instance, reads the output until every word's count reaches the expected one,
   * and closes it, leaving the group so that the next instance need not wait for its session
   * to time out.
   */
  static void runUntil(String bootstrap, String prefix, Path stateDir, int instance, OutputWatch watch, Map<String, Long> expected) throws Exception {
    Files.createDirectories(stateDir);
    long t0 = System.nanoTime();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    KafkaStreams streams = wordCount(bootstrap, appId(prefix), input(prefix), output(prefix), stateDir);
    streams.setUncaughtExceptionHandler(e -> {
      failed.set(e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.start();
    try {
      long deadline = System.nanoTime() + 2 * Out.BLOCK.toNanos();
      while (!watch.reached(expected)) {
        if (failed.get() != null) throw new IllegalStateException("instance " + instance + " failed", failed.get());
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("instance " + instance + ": the output's counts did not reach the input's in " + 2 * Out.BLOCK.toSeconds() + " s; state " + streams.state() + "; " + watch.shortOf(expected));
        }
        watch.poll();
      }
      Out.emit("caught-up", "instance", instance, "ms", (System.nanoTime() - t0) / 1_000_000);
    } finally {
      boolean closed = streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(15)));
      Out.emit("closed", "instance", instance, "clean", closed, "state", streams.state().toString());
    }
  }
}
