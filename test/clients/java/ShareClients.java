// Share groups (KIP-932) with Apache Kafka's own KafkaShareConsumer (kafka-clients 4.4.0), for
// test/share/share-java.test.ts. Each scenario prints what was produced and every delivery a
// member saw as JSON lines (Out.emit); the Node test decides what is right.
//
//   ShareClients three <bootstrap> <topic> <group> <count>
//       3 partitions, count records; three members in explicit mode ACCEPT what they get,
//       until count distinct records were read, then keep polling a little to catch repeats.
//   ShareClients reject-release <bootstrap> <topic> <group>
//       1 partition; two members; "reject" is REJECTed, "release-once" RELEASEd on its first
//       delivery and ACCEPTed after, "release-always" RELEASEd every time, the rest ACCEPTed.
//   ShareClients hold <bootstrap> <topic> <group> <count> <accept>
//       1 partition, count records; one member ACCEPTs the first `accept` offsets it gets,
//       commits, prints "held" and waits to be killed, holding the rest (they stay acquired).
//   ShareClients hold-existing <bootstrap> <topic> <group> <count> <accept>
//       the same on a topic that exists with its records and a group whose offsets are set.
//   ShareClients drain <bootstrap> <topic> <group> <count>
//       one member ACCEPTs whatever it gets until `count` records or 20 s without a record.
//   ShareClients transactions <bootstrap> <topic> <group> <isolation>
//       1 partition; share.isolation.level=<isolation>; a transactional producer commits c0,c1,
//       aborts a0,a1 and leaves o0 in an open transaction, then a plain producer writes n0; one
//       member ACCEPTs what it gets for 4 s (phase "open"), the transaction commits, and it
//       reads until o0 and n0 came or 20 s passed, then 2 s more (phase "after").
//   ShareClients members <bootstrap> <topic> <group> <n>
//       n members (threads, client ids member-0..) reading until the process is killed, for the cluster failover test: a record "v<i>" is
//       REJECTed when i % 50 == 7, RELEASEd every time when i % 50 == 19, RELEASEd on its first
//       delivery when i % 50 == 31, ACCEPTed otherwise. Prints every delivery ("read") before
//       acknowledging it, then commitSync's answer per delivery ("ack", ok true/false): a
//       delivery whose "ack" is ok was acknowledged by the share-partition leader.
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class ShareClients {
  private ShareClients() {}

  public static void main(String[] args) {
    Out.run(() -> {
      String scenario = args[0];
      String bootstrap = args[1];
      String topic = args[2];
      String group = args[3];
      switch (scenario) {
        case "three" -> three(bootstrap, topic, group, Integer.parseInt(args[4]));
        case "reject-release" -> rejectRelease(bootstrap, topic, group);
        case "hold" -> hold(bootstrap, topic, group, Integer.parseInt(args[4]), Integer.parseInt(args[5]), true);
        case "hold-existing" -> hold(bootstrap, topic, group, Integer.parseInt(args[4]), Integer.parseInt(args[5]), false);
        case "drain" -> drain(bootstrap, topic, group, Integer.parseInt(args[4]));
        case "transactions" -> transactions(bootstrap, topic, group, args[4]);
        case "members" -> members(bootstrap, topic, group, Integer.parseInt(args[4]));
        default -> throw new IllegalArgumentException("unknown scenario " + scenario);
      }
    });
  }

  static KafkaShareConsumer<String, String> consumer(String bootstrap, String group, String clientId) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Out.BLOCK_MS);
    return new KafkaShareConsumer<>(p);
  }

  /** Creates the topic and sets the group's share.auto.offset.reset to earliest (records produced before the members join are read). */
  static void setup(String bootstrap, String topic, String group, int partitions) throws Exception {
    Topics.create(bootstrap, topic, partitions);
    try (Admin admin = Topics.admin(bootstrap)) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.GROUP, group);
      admin.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get();
    }
    Out.emit("group-config", "group", group, "share.auto.offset.reset", "earliest");
  }

  static void produce(String bootstrap, String topic, List<String> values, int partitions) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Out.BLOCK_MS);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < values.size(); i++) {
        var md = producer.send(new ProducerRecord<>(topic, i % partitions, "k" + i, values.get(i))).get();
        Out.emit("sent", "value", values.get(i), "partition", md.partition(), "offset", md.offset());
      }
    }
  }

  static void emitRead(int member, ConsumerRecord<String, String> r, String ack) {
    Out.emit("read", "member", member, "partition", r.partition(), "offset", r.offset(), "value", r.value(), "deliveryCount", r.deliveryCount().map(Short::intValue).orElse(-1), "ack", ack);
  }

  static void three(String bootstrap, String topic, String group, int count) throws Exception {
    setup(bootstrap, topic, group, 3);
    List<String> values = new ArrayList<>();
    for (int i = 0; i < count; i++) values.add("v" + i);
    produce(bootstrap, topic, values, 3);
    Set<String> seen = java.util.Collections.synchronizedSet(new HashSet<>());
    AtomicInteger reads = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    long deadline = System.currentTimeMillis() + 90_000;
    for (int m = 0; m < 3; m++) {
      final int member = m;
      Thread t = new Thread(() -> {
        try (KafkaShareConsumer<String, String> c = consumer(bootstrap, group, "share-" + member)) {
          c.subscribe(List.of(topic));
          long quietUntil = Long.MAX_VALUE;
          while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
            ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(500));
            for (ConsumerRecord<String, String> r : records) {
              c.acknowledge(r, AcknowledgeType.ACCEPT);
              emitRead(member, r, "ACCEPT");
              seen.add(r.value());
              reads.incrementAndGet();
            }
            if (records.count() > 0) c.commitSync();
            // Once everything was read, poll 3 s more: a record delivered twice would show.
            if (seen.size() >= count && quietUntil == Long.MAX_VALUE) quietUntil = System.currentTimeMillis() + 3_000;
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) t.join();
    if (!failures.isEmpty()) throw new RuntimeException(failures.get(0));
    Out.emit("summary", "distinct", seen.size(), "reads", reads.get());
  }

  static void rejectRelease(String bootstrap, String topic, String group) throws Exception {
    setup(bootstrap, topic, group, 1);
    produce(bootstrap, topic, List.of("ok-0", "reject", "release-once", "release-always", "ok-1"), 1);
    Map<String, Integer> deliveries = new HashMap<>();
    try (KafkaShareConsumer<String, String> a = consumer(bootstrap, group, "share-a"); KafkaShareConsumer<String, String> b = consumer(bootstrap, group, "share-b")) {
      a.subscribe(List.of(topic));
      b.subscribe(List.of(topic));
      List<KafkaShareConsumer<String, String>> members = List.of(a, b);
      long deadline = System.currentTimeMillis() + 90_000;
      long quietUntil = Long.MAX_VALUE;
      int turn = 0;
      while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
        int member = turn++ % 2;
        KafkaShareConsumer<String, String> c = members.get(member);
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(300));
        for (ConsumerRecord<String, String> r : records) {
          int n = deliveries.merge(r.value(), 1, Integer::sum);
          AcknowledgeType type = switch (r.value()) {
            case "reject" -> AcknowledgeType.REJECT;
            case "release-once" -> n == 1 ? AcknowledgeType.RELEASE : AcknowledgeType.ACCEPT;
            case "release-always" -> AcknowledgeType.RELEASE;
            default -> AcknowledgeType.ACCEPT;
          };
          c.acknowledge(r, type);
          emitRead(member, r, type.name());
        }
        if (records.count() > 0) c.commitSync();
        // Done when release-always reached the delivery limit (5) and release-once was accepted;
        // then poll 3 s more: an archived record delivered again would show.
        if (quietUntil == Long.MAX_VALUE && deliveries.getOrDefault("release-always", 0) >= 5 && deliveries.getOrDefault("release-once", 0) >= 2) quietUntil = System.currentTimeMillis() + 3_000;
      }
    }
    Out.emit("summary", "deliveries", deliveries);
  }

  static void hold(String bootstrap, String topic, String group, int count, int accept, boolean create) throws Exception {
    if (create) {
      setup(bootstrap, topic, group, 1);
      List<String> values = new ArrayList<>();
      for (int i = 0; i < count; i++) values.add("h" + i);
      produce(bootstrap, topic, values, 1);
    }
    KafkaShareConsumer<String, String> c = consumer(bootstrap, group, "share-hold");
    c.subscribe(List.of(topic));
    long deadline = System.currentTimeMillis() + 60_000;
    int got = 0;
    while (got < count && System.currentTimeMillis() < deadline) {
      ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(500));
      for (ConsumerRecord<String, String> r : records) {
        got++;
        if (r.offset() < accept) {
          c.acknowledge(r, AcknowledgeType.ACCEPT);
          emitRead(0, r, "ACCEPT");
        } else {
          emitRead(0, r, "HOLD");
        }
      }
      if (records.count() > 0) c.commitSync();
      if (got < count && records.count() > 0) throw new IllegalStateException("the first poll returned " + got + " of " + count + " records");
    }
    // Stay alive, holding the rest: the test kills the broker (and then this process) now.
    Out.emit("held", "count", got);
    Thread.sleep(600_000);
    Runtime.getRuntime().halt(0);
  }

  static void drain(String bootstrap, String topic, String group, int count) throws Exception {
    try (KafkaShareConsumer<String, String> c = consumer(bootstrap, group, "share-drain")) {
      c.subscribe(List.of(topic));
      int got = 0;
      long idleSince = System.currentTimeMillis();
      while (got < count && System.currentTimeMillis() - idleSince < 20_000) {
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<String, String> r : records) {
          c.acknowledge(r, AcknowledgeType.ACCEPT);
          emitRead(0, r, "ACCEPT");
          got++;
          idleSince = System.currentTimeMillis();
        }
        if (records.count() > 0) c.commitSync();
      }
      // 2 s more: anything delivered beyond what was expected shows.
      long until = System.currentTimeMillis() + 2_000;
      while (System.currentTimeMillis() < until) {
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<String, String> r : records) {
          c.acknowledge(r, AcknowledgeType.ACCEPT);
          emitRead(0, r, "ACCEPT");
        }
        if (records.count() > 0) c.commitSync();
      }
    }
  }

  /** The acknowledgement the failover test expects for record "v<i>" at its delivery count. */
  static AcknowledgeType ackFor(String value, int deliveryCount) {
    int i = Integer.parseInt(value.substring(1));
    return switch (i % 50) {
      case 7 -> AcknowledgeType.REJECT;
      case 19 -> AcknowledgeType.RELEASE;
      case 31 -> deliveryCount == 1 ? AcknowledgeType.RELEASE : AcknowledgeType.ACCEPT;
      default -> AcknowledgeType.ACCEPT;
    };
  }

  static void members(String bootstrap, String topic, String group, int n) throws Exception {
    List<Thread> threads = new ArrayList<>();
    for (int m = 0; m < n; m++) {
      String clientId = "member-" + m;
      Thread t = new Thread(() -> {
        try {
          member(bootstrap, topic, group, clientId);
        } catch (Throwable e) {
          Out.emit("error", "member", clientId, "chain", Out.chain(e));
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) t.join();
  }

  static void member(String bootstrap, String topic, String group, String clientId) throws Exception {
    try (KafkaShareConsumer<String, String> c = consumer(bootstrap, group, clientId)) {
      c.subscribe(List.of(topic));
      Out.emit("started", "clientId", clientId);
      while (true) {
        ConsumerRecords<String, String> records;
        try {
          records = c.poll(Duration.ofMillis(500));
        } catch (org.apache.kafka.common.KafkaException e) {
          Out.emit("poll-failed", "chain", Out.chain(e));
          continue;
        }
        if (records.isEmpty()) continue;
        List<ConsumerRecord<String, String>> polled = new ArrayList<>();
        for (ConsumerRecord<String, String> r : records) {
          int count = r.deliveryCount().map(Short::intValue).orElse(-1);
          AcknowledgeType type = ackFor(r.value(), count);
          Out.emit("read", "member", clientId, "partition", r.partition(), "offset", r.offset(), "value", r.value(), "deliveryCount", count, "ack", type.name());
          c.acknowledge(r, type);
          polled.add(r);
        }
        Map<org.apache.kafka.common.TopicIdPartition, java.util.Optional<org.apache.kafka.common.KafkaException>> result;
        String failure = null;
        try {
          result = c.commitSync();
        } catch (org.apache.kafka.common.KafkaException e) {
          result = Map.of();
          failure = String.valueOf(Out.chain(e));
        }
        for (ConsumerRecord<String, String> r : polled) {
          java.util.Optional<org.apache.kafka.common.KafkaException> outcome = null;
          for (var e : result.entrySet()) if (e.getKey().partition() == r.partition() && e.getKey().topic().equals(r.topic())) outcome = e.getValue();
          boolean ok = failure == null && outcome != null && outcome.isEmpty();
          String why = failure != null ? failure : outcome == null ? "no result for the partition" : outcome.map(Throwable::toString).orElse(null);
          Out.emit("ack", "member", clientId, "partition", r.partition(), "offset", r.offset(), "value", r.value(), "deliveryCount", r.deliveryCount().map(Short::intValue).orElse(-1), "ok", ok, "error", why);
        }
      }
    }
  }

  static void transactions(String bootstrap, String topic, String group, String isolation) throws Exception {
    Topics.create(bootstrap, topic, 1);
    try (Admin admin = Topics.admin(bootstrap)) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.GROUP, group);
      admin.incrementalAlterConfigs(Map.of(r, List.of(
          new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("share.isolation.level", isolation), AlterConfigOp.OpType.SET)))).all().get();
    }
    Properties tp = new Properties();
    tp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    tp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    tp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    tp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Out.BLOCK_MS);
    tp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-txn");
    Properties plain = new Properties();
    plain.putAll(tp);
    plain.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    try (KafkaProducer<String, String> txn = new KafkaProducer<>(tp); KafkaProducer<String, String> producer = new KafkaProducer<>(plain);
        KafkaShareConsumer<String, String> c = consumer(bootstrap, group, "share-txn")) {
      txn.initTransactions();
      txn.beginTransaction();
      txn.send(new ProducerRecord<>(topic, 0, "k", "c0"));
      txn.send(new ProducerRecord<>(topic, 0, "k", "c1"));
      txn.commitTransaction();
      txn.beginTransaction();
      txn.send(new ProducerRecord<>(topic, 0, "k", "a0"));
      txn.send(new ProducerRecord<>(topic, 0, "k", "a1"));
      // Written to the log before the abort (an abort drops the batches not sent yet).
      txn.flush();
      txn.abortTransaction();
      txn.beginTransaction();
      txn.send(new ProducerRecord<>(topic, 0, "k", "o0")).get();
      producer.send(new ProducerRecord<>(topic, 0, "k", "n0")).get();
      Out.emit("produced");
      c.subscribe(List.of(topic));
      Set<String> got = new HashSet<>();
      pollFor(c, 4_000, "open", got, Set.of());
      txn.commitTransaction();
      Out.emit("committed");
      pollFor(c, 20_000, "after", got, Set.of("o0", "n0"));
      pollFor(c, 2_000, "after", got, Set.of());
    }
  }

  /** Polls (ACCEPTing every record) for up to ms, or until every value of `until` was read (when not empty). */
  static void pollFor(KafkaShareConsumer<String, String> c, long ms, String phase, Set<String> got, Set<String> until) {
    long end = System.currentTimeMillis() + ms;
    while (System.currentTimeMillis() < end && (until.isEmpty() || !got.containsAll(until))) {
      ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(300));
      for (ConsumerRecord<String, String> r : records) {
        c.acknowledge(r, AcknowledgeType.ACCEPT);
        got.add(r.value());
        Out.emit("read", "phase", phase, "offset", r.offset(), "value", r.value(), "deliveryCount", r.deliveryCount().map(Short::intValue).orElse(-1));
      }
      if (records.count() > 0) c.commitSync();
    }
  }
}
