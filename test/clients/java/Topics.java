// Topic creation and reading a topic to its end, shared by the transaction tests' programs.
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

final class Topics {
  private Topics() {}

  static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Out.BLOCK_MS);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    return Admin.create(p);
  }

  /** Creates the topic (replication factor 1) unless it exists. */
  static void create(String bootstrap, String topic, int partitions) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) throw e;
    }
    Out.emit("topic", "topic", topic, "partitions", partitions);
  }

  /**
   * Prints the broker's finalized transaction.version feature level (0 when the broker does
   * not advertise the feature): 2 means the clients use KIP-890 part 2 (no AddPartitionsToTxn).
   */
  static void transactionVersion(String bootstrap) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      FinalizedVersionRange tv = admin.describeFeatures().featureMetadata().get().finalizedFeatures().get("transaction.version");
      Out.emit("features", "transactionVersion", tv == null ? 0 : tv.maxVersionLevel());
    }
  }

  static List<TopicPartition> partitions(KafkaConsumer<?, ?> c, String topic) {
    List<TopicPartition> tps = new ArrayList<>();
    for (PartitionInfo pi : c.partitionsFor(topic, Out.BLOCK)) tps.add(new TopicPartition(topic, pi.partition()));
    tps.sort(Comparator.comparingInt(TopicPartition::partition));
    return tps;
  }

  static Properties consumerProps(String bootstrap, String isolation) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Out.BLOCK_MS);
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    return p;
  }

  /**
   * Reads every partition of the topic from its beginning to the end offsets taken at the
   * start (the last stable offset under read_committed, the log end offset under
   * read_uncommitted), without a group, printing "end-offsets" and then one "record" event
   * per record, all with the label.
   */
  static void drain(String bootstrap, String topic, String isolation, String label) {
    drain(bootstrap, topic, isolation, label, new StringDeserializer(), Duration.ZERO);
  }

  /**
   * As drain, then goes on polling for `linger` and prints whatever else arrives: under
   * read_committed with a transaction open, nothing may (the records past the last stable
   * offset are not to be returned, not even by a later fetch).
   */
  static void drain(String bootstrap, String topic, String isolation, String label, Duration linger) {
    drain(bootstrap, topic, isolation, label, new StringDeserializer(), linger);
  }

  static <V> void drain(String bootstrap, String topic, String isolation, String label, Deserializer<V> values) {
    drain(bootstrap, topic, isolation, label, values, Duration.ZERO);
  }

  static <V> void drain(String bootstrap, String topic, String isolation, String label, Deserializer<V> values, Duration linger) {
    try (KafkaConsumer<String, V> c = new KafkaConsumer<>(consumerProps(bootstrap, isolation), new StringDeserializer(), values)) {
      List<TopicPartition> tps = partitions(c, topic);
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps, Out.BLOCK);
      for (TopicPartition tp : tps) Out.emit("end-offset", "label", label, "partition", tp.partition(), "offset", end.get(tp));
      long deadline = System.nanoTime() + Out.BLOCK.toNanos();
      for (;;) {
        boolean behind = false;
        for (TopicPartition tp : tps) behind |= c.position(tp, Out.BLOCK) < end.get(tp);
        if (!behind) break;
        if (System.nanoTime() > deadline) throw new IllegalStateException(label + ": did not reach the end offsets " + end + " in " + Out.BLOCK);
        for (ConsumerRecord<String, V> r : c.poll(Duration.ofMillis(200))) {
          Out.emit("record", "label", label, "partition", r.partition(), "offset", r.offset(), "key", r.key(), "value", String.valueOf(r.value()));
        }
      }
      for (long lingerEnd = System.nanoTime() + linger.toNanos(); System.nanoTime() < lingerEnd; ) {
        for (ConsumerRecord<String, V> r : c.poll(Duration.ofMillis(100))) {
          Out.emit("record", "label", label, "partition", r.partition(), "offset", r.offset(), "key", r.key(), "value", String.valueOf(r.value()));
        }
      }
      for (TopicPartition tp : tps) Out.emit("position", "label", label, "partition", tp.partition(), "offset", c.position(tp, Out.BLOCK));
    }
  }
}
