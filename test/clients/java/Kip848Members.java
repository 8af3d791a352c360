// Members of a KIP-848 consumer group (group.protocol=consumer) for test/groups/consumer-protocol-java.test.ts,
// and the producer that feeds them. One JSON object per line on standard output (Out.emit).
//
//   consume <bootstrap> <group> <topic | regex:RE2J> <clientId> [<group.protocol>]
//     group.protocol is consumer (the default) or classic; classic-cooperative is classic with
//     the CooperativeStickyAssignor alone (incremental rebalances instead of eager ones).
//     Reads until SIGTERM (then closes: the member leaves the group) or SIGKILL. Each poll's
//     records are committed (commitSync) and only then printed, so the printed records are
//     exactly those this member consumed and committed: a record printed by two members was
//     read twice, one printed by none was missed. A failed commit prints nothing and rewinds
//     the partitions it still owns, so the records are read again (by it or the new owner).
//     A commit interrupted by SIGTERM (it may or may not have landed) prints the poll's values
//     as one "commit-interrupted" line instead.
//   produce <bootstrap> <topic> <first> <count> [<ratePerSecond>]
//     Writes values "v<first>".."v<first+count-1>" (acks=all, idempotent) and exits.
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class Kip848Members {
  private Kip848Members() {}

  public static void main(String[] args) throws Exception {
    try {
      if (args[0].equals("consume")) consume(args[1], args[2], args[3], args[4], args.length > 5 ? args[5] : "consumer");
      else produce(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]), args.length > 5 ? Integer.parseInt(args[5]) : 0);
    } catch (Throwable t) {
      Out.emit("error", "chain", Out.chain(t));
      System.exit(1);
    }
  }

  private static List<String> names(java.util.Collection<TopicPartition> tps) {
    List<String> out = new ArrayList<>();
    for (TopicPartition tp : tps) out.add(tp.topic() + "-" + tp.partition());
    return out;
  }

  static void consume(String bootstrap, String group, String subscription, String clientId, String protocol) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", group);
    if (protocol.equals("classic-cooperative")) {
      p.put("group.protocol", "classic");
      p.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    } else {
      p.put("group.protocol", protocol);
    }
    p.put("client.id", clientId);
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    p.put("metadata.max.age.ms", "1000");
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p);
    CountDownLatch done = new CountDownLatch(1);
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      consumer.wakeup();
      try {
        done.await();
        main.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
        Out.emit("revoked", "partitions", names(partitions));
      }

      @Override
      public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
        Out.emit("assigned", "partitions", names(partitions), "assignment", names(consumer.assignment()));
      }

      @Override
      public void onPartitionsLost(java.util.Collection<TopicPartition> partitions) {
        Out.emit("lost", "partitions", names(partitions));
      }
    };
    if (subscription.startsWith("regex:")) consumer.subscribe(new SubscriptionPattern(subscription.substring(6)), listener);
    else consumer.subscribe(List.of(subscription.split(",")), listener);
    Out.emit("started", "clientId", clientId);
    try {
      while (true) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) continue;
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<String, String> r : records) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          first.putIfAbsent(tp, r.offset());
          next.put(tp, new OffsetAndMetadata(r.offset() + 1));
        }
        try {
          consumer.commitSync(next, Out.BLOCK);
        } catch (WakeupException e) {
          // SIGTERM during the commit: it may have landed; the records were consumed either way.
          List<String> values = new ArrayList<>();
          for (ConsumerRecord<String, String> r : records) values.add(r.value());
          Out.emit("commit-interrupted", "values", values);
          throw e;
        } catch (Exception e) {
          List<Map<String, Object>> ranges = new ArrayList<>();
          for (Map.Entry<TopicPartition, Long> f : first.entrySet()) {
            Map<String, Object> range = new HashMap<>();
            range.put("topic", f.getKey().topic());
            range.put("partition", f.getKey().partition());
            range.put("from", f.getValue());
            range.put("to", next.get(f.getKey()).offset());
            ranges.add(range);
          }
          Out.emit("commit-failed", "ranges", ranges, "chain", Out.chain(e));
          for (Map.Entry<TopicPartition, Long> f : first.entrySet()) {
            if (consumer.assignment().contains(f.getKey())) consumer.seek(f.getKey(), f.getValue());
          }
          continue;
        }
        for (ConsumerRecord<String, String> r : records) Out.emit("record", "topic", r.topic(), "partition", r.partition(), "offset", r.offset(), "value", r.value());
      }
    } catch (WakeupException e) {
      // SIGTERM: leave the group.
    } finally {
      consumer.close();
      Out.emit("closed", "clientId", clientId);
      done.countDown();
    }
  }

  static void produce(String bootstrap, String topic, int first, int count, int ratePerSecond) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("linger.ms", "5");
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      long started = System.nanoTime();
      for (int i = first; i < first + count; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
        if (ratePerSecond > 0) {
          long due = started + (long) ((i - first + 1) * 1e9 / ratePerSecond);
          long wait = due - System.nanoTime();
          if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
      producer.flush();
    }
    Out.emit("produced", "topic", topic, "first", first, "count", count);
  }
}
