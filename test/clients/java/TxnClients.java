// Apache Kafka's Java client (kafka-clients) in transactions, for
// test/clients/transactions-java.test.ts. Each scenario prints JSON lines (see Out) of what
// it sent and what the consumers saw; the Node test computes what should have been seen and
// asserts. Usage: java TxnClients <scenario> <bootstrap> <name-prefix>
//
//   commit-abort  a transactional producer commits some transactions and aborts others over
//                 three partitions (aborted ones flushed first, so they are in the log), then
//                 leaves one open while consumers read, then commits it
//   ctp           consume-transform-produce: a read_committed group member, a transactional
//                 producer, sendOffsetsToTransaction; every third transaction is aborted and
//                 the consumer rewound to the committed offsets
//   zombie        two producers with one transactional.id: the first is fenced when the
//                 second calls initTransactions
//   epochs        one producer commits and aborts transactions (one with offsets, through
//                 sendOffsetsToTransaction, no consumer) on one partition; after each it
//                 prints the producer epoch DescribeTransactions and DescribeProducers show,
//                 once the transaction is complete: under transaction version 2 it grows by
//                 one at every end, under version 1 it stays
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class TxnClients {
  private static final int PARTITIONS = 3;

  public static void main(String[] args) {
    String scenario = args[0];
    String bootstrap = args[1];
    String prefix = args[2];
    Out.run(() -> {
      Topics.transactionVersion(bootstrap);
      switch (scenario) {
        case "commit-abort" -> commitAbort(bootstrap, prefix);
        case "ctp" -> consumeTransformProduce(bootstrap, prefix);
        case "zombie" -> zombie(bootstrap, prefix);
        case "epochs" -> epochs(bootstrap, prefix);
        default -> throw new IllegalArgumentException("unknown scenario " + scenario);
      }
    });
  }

  static KafkaProducer<String, String> transactional(String bootstrap, String transactionalId) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Out.BLOCK_MS);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Out.BLOCK_MS);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  static void sent(String label, int txn, String outcome, RecordMetadata md, String value) {
    Out.emit("sent", "label", label, "txn", txn, "outcome", outcome, "partition", md.partition(), "offset", md.offset(), "value", value);
  }

  /** Sends values[p] to each partition p of the topic and waits for every acknowledgement. */
  static void sendAll(KafkaProducer<String, String> producer, String topic, String label, int txn, String outcome, List<List<String>> values) throws Exception {
    List<Future<RecordMetadata>> futures = new ArrayList<>();
    List<String> order = new ArrayList<>();
    for (int p = 0; p < values.size(); p++) {
      for (String v : values.get(p)) {
        futures.add(producer.send(new ProducerRecord<>(topic, p, "k" + p, v)));
        order.add(v);
      }
    }
    // Aborted transactions are flushed too: their records must reach the log (so that
    // read_uncommitted sees them and read_committed has something to filter out).
    producer.flush();
    for (int i = 0; i < futures.size(); i++) sent(label, txn, outcome, futures.get(i).get(), order.get(i));
  }

  static void commitAbort(String bootstrap, String prefix) throws Exception {
    String topic = prefix + "-mixed";
    Topics.create(bootstrap, topic, PARTITIONS);
    final int transactions = 9;
    final int perPartition = 4;
    try (KafkaProducer<String, String> producer = transactional(bootstrap, prefix + "-mixed-txn")) {
      long t0 = System.nanoTime();
      producer.initTransactions();
      Out.emit("init", "ms", (System.nanoTime() - t0) / 1_000_000);
      for (int t = 0; t < transactions; t++) {
        // Commit, abort, commit, commit, abort, ...: aborted transactions sit between committed ones.
        boolean commit = t % 3 != 1;
        List<List<String>> values = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
          List<String> vs = new ArrayList<>();
          for (int r = 0; r < perPartition; r++) vs.add("t" + t + "-p" + p + "-r" + r);
          values.add(vs);
        }
        producer.beginTransaction();
        sendAll(producer, topic, "mixed", t, commit ? "commit" : "abort", values);
        if (commit) producer.commitTransaction();
        else producer.abortTransaction();
        Out.emit("end-txn", "txn", t, "commit", commit);
      }
      // One more transaction, left open while both isolation levels read the topic: under
      // read_committed the end offset is the last stable offset, its first record's offset.
      int open = transactions;
      List<List<String>> values = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) values.add(List.of("open-p" + p + "-r0", "open-p" + p + "-r1"));
      producer.beginTransaction();
      sendAll(producer, topic, "mixed", open, "commit", values);
      Topics.drain(bootstrap, topic, "read_committed", "open-read_committed", java.time.Duration.ofSeconds(1));
      Topics.drain(bootstrap, topic, "read_uncommitted", "open-read_uncommitted");
      producer.commitTransaction();
      Out.emit("end-txn", "txn", open, "commit", true);
    }
    Topics.drain(bootstrap, topic, "read_committed", "read_committed");
    Topics.drain(bootstrap, topic, "read_uncommitted", "read_uncommitted");
  }

  static void epochs(String bootstrap, String prefix) throws Exception {
    String topic = prefix + "-epochs";
    String transactionalId = prefix + "-epochs-txn";
    String group = prefix + "-epochs-group";
    Topics.create(bootstrap, topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    final int transactions = 6;
    try (KafkaProducer<String, String> producer = transactional(bootstrap, transactionalId); Admin admin = Topics.admin(bootstrap)) {
      producer.initTransactions();
      emitEpoch(admin, transactionalId, tp, -1);
      for (int t = 0; t < transactions; t++) {
        boolean commit = t % 3 != 1;
        producer.beginTransaction();
        RecordMetadata md = producer.send(new ProducerRecord<>(topic, "k", "e" + t)).get();
        sent("epochs", t, commit ? "commit" : "abort", md, "e" + t);
        // Transaction 2 also commits offsets: TxnOffsetCommit (v5 under transaction version 2,
        // with no AddOffsetsToTxn before it).
        if (t == 2) producer.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(md.offset() + 1)), new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(group));
        if (commit) producer.commitTransaction();
        else producer.abortTransaction();
        Out.emit("end-txn", "txn", t, "commit", commit);
        emitEpoch(admin, transactionalId, tp, t);
      }
    }
    Map<TopicPartition, OffsetAndMetadata> committed = Topics.admin(bootstrap).listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    Out.emit("group-offsets", "offsets", offsetsJson(committed));
    Topics.drain(bootstrap, topic, "read_committed", "read_committed");
  }

  /** Waits until the transaction is no longer being completed, then prints both epochs. */
  static void emitEpoch(Admin admin, String transactionalId, TopicPartition tp, int txn) throws Exception {
    long deadline = System.nanoTime() + Out.BLOCK.toNanos();
    org.apache.kafka.clients.admin.TransactionDescription d;
    for (;;) {
      d = admin.describeTransactions(List.of(transactionalId)).description(transactionalId).get();
      String state = d.state().toString();
      if (!state.toUpperCase().startsWith("PREPARE") || System.nanoTime() > deadline) break;
      Thread.sleep(20);
    }
    Integer partitionEpoch = null;
    if (txn >= 0) {
      for (org.apache.kafka.clients.admin.ProducerState p : admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers()) {
        if (p.producerId() == d.producerId()) partitionEpoch = p.producerEpoch();
      }
    }
    Out.emit("epoch", "txn", txn, "state", d.state().toString(), "producerId", d.producerId(), "producerEpoch", d.producerEpoch(), "partitionEpoch", partitionEpoch);
  }

  static Map<String, Object> offsetsJson(Map<TopicPartition, OffsetAndMetadata> offsets) {
    Map<String, Object> m = new LinkedHashMap<>();
    offsets.entrySet().stream()
        .sorted((a, b) -> Integer.compare(a.getKey().partition(), b.getKey().partition()))
        .forEach(e -> m.put(String.valueOf(e.getKey().partition()), e.getValue() == null ? null : e.getValue().offset()));
    return m;
  }

  static void consumeTransformProduce(String bootstrap, String prefix) throws Exception {
    String in = prefix + "-ctp-in";
    String out = prefix + "-ctp-out";
    String group = prefix + "-ctp-group";
    final int perPartition = 30;
    Topics.create(bootstrap, in, PARTITIONS);
    Topics.create(bootstrap, out, PARTITIONS);
    // The input, written by a plain (idempotent, non-transactional) producer.
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Out.BLOCK_MS);
    try (KafkaProducer<String, String> plain = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      List<Future<RecordMetadata>> futures = new ArrayList<>();
      List<String> order = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        for (int i = 0; i < perPartition; i++) {
          String v = "in-p" + p + "-" + i;
          futures.add(plain.send(new ProducerRecord<>(in, p, "k" + p, v)));
          order.add(v);
        }
      }
      plain.flush();
      for (int i = 0; i < futures.size(); i++) sent("input", -1, "plain", futures.get(i).get(), order.get(i));
    }

    Properties cp = Topics.consumerProps(bootstrap, "read_committed");
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    // Small polls so that the input is processed in many transactions.
    cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 7);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer());
        KafkaProducer<String, String> producer = transactional(bootstrap, prefix + "-ctp-txn")) {
      producer.initTransactions();
      consumer.subscribe(List.of(in));
      long deadline = System.nanoTime() + 2 * Out.BLOCK.toNanos();
      int txn = 0;
      Set<TopicPartition> all = Set.of(new TopicPartition(in, 0), new TopicPartition(in, 1), new TopicPartition(in, 2));
      for (;;) {
        if (System.nanoTime() > deadline) throw new IllegalStateException("consume-transform-produce did not finish in " + 2 * Out.BLOCK.toSeconds() + " s");
        ConsumerRecords<String, String> records = consumer.poll(java.time.Duration.ofMillis(200));
        if (records.isEmpty()) {
          Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(all, Out.BLOCK);
          boolean done = true;
          for (TopicPartition tp : all) done &= committed.get(tp) != null && committed.get(tp).offset() == perPartition;
          if (done) break;
          continue;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
          List<ConsumerRecord<String, String>> rs = records.records(tp);
          offsets.put(tp, new OffsetAndMetadata(rs.get(rs.size() - 1).offset() + 1));
        }
        Map<TopicPartition, OffsetAndMetadata> before = consumer.committed(offsets.keySet(), Out.BLOCK);
        boolean commit = txn % 3 != 1;
        producer.beginTransaction();
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        List<String> order = new ArrayList<>();
        for (ConsumerRecord<String, String> r : records) {
          String v = "out:" + r.value();
          futures.add(producer.send(new ProducerRecord<>(out, r.partition(), r.key(), v)));
          order.add(v);
        }
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.flush();
        for (int i = 0; i < futures.size(); i++) sent("output", txn, commit ? "commit" : "abort", futures.get(i).get(), order.get(i));
        if (commit) {
          producer.commitTransaction();
        } else {
          producer.abortTransaction();
          // The records are processed again: back to the committed offsets.
          for (TopicPartition tp : offsets.keySet()) {
            OffsetAndMetadata b = before.get(tp);
            if (b == null) consumer.seekToBeginning(List.of(tp));
            else consumer.seek(tp, b.offset());
          }
        }
        Map<TopicPartition, OffsetAndMetadata> after = consumer.committed(offsets.keySet(), Out.BLOCK);
        Out.emit("ctp-txn", "txn", txn, "commit", commit, "records", records.count(), "offsets", offsetsJson(offsets), "before", offsetsJson(before), "after", offsetsJson(after));
        txn++;
      }
    }
    try (Admin admin = Topics.admin(bootstrap)) {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group, new ListConsumerGroupOffsetsOptions().requireStable(true)).partitionsToOffsetAndMetadata().get();
      Out.emit("group-offsets", "group", group, "offsets", offsetsJson(committed));
    }
    Topics.drain(bootstrap, out, "read_committed", "read_committed");
    Topics.drain(bootstrap, out, "read_uncommitted", "read_uncommitted");
  }

  static void zombie(String bootstrap, String prefix) throws Exception {
    String topic = prefix + "-zombie";
    Topics.create(bootstrap, topic, 2);
    // Once straight to commitTransaction (the coordinator fences the zombie's EndTxn), once
    // with a send first (the partition leader or the coordinator fences its produce).
    zombieCase(bootstrap, topic, prefix + "-zombie-commit-txn", "commit", false);
    zombieCase(bootstrap, topic, prefix + "-zombie-send-txn", "send", true);
    Topics.drain(bootstrap, topic, "read_committed", "read_committed");
    Topics.drain(bootstrap, topic, "read_uncommitted", "read_uncommitted");
  }

  /**
   * A producer opens a transaction and writes "zombie-<name>-1" to partition 0; a new instance
   * with its transactional.id calls initTransactions (aborting that transaction), and commits
   * "new-<name>-0" / "new-<name>-1" to partitions 0 and 1; the zombie, in between, tries to
   * commit (after writing "zombie-<name>-2" to partition 1 when sendFirst).
   */
  static void zombieCase(String bootstrap, String topic, String transactionalId, String name, boolean sendFirst) throws Exception {
    KafkaProducer<String, String> zombie = transactional(bootstrap, transactionalId);
    try {
      zombie.initTransactions();
      zombie.beginTransaction();
      String first = "zombie-" + name + "-1";
      sent("zombie", 0, "abort", zombie.send(new ProducerRecord<>(topic, 0, "z", first)).get(), first);
      try (KafkaProducer<String, String> fresh = transactional(bootstrap, transactionalId)) {
        // The new instance's InitProducerId bumps the epoch and aborts the zombie's open transaction.
        long t0 = System.nanoTime();
        fresh.initTransactions();
        Out.emit("init", "case", name, "who", "new", "ms", (System.nanoTime() - t0) / 1_000_000);
        if (sendFirst) {
          String second = "zombie-" + name + "-2";
          try {
            sent("zombie", 0, "abort", zombie.send(new ProducerRecord<>(topic, 1, "z", second)).get(), second);
            Out.emit("zombie-send", "case", name, "ok", true);
          } catch (Exception e) {
            Out.emit("zombie-send", "case", name, "ok", false, "chain", Out.chain(e));
          }
        }
        try {
          zombie.commitTransaction();
          Out.emit("zombie-commit", "case", name, "ok", true);
        } catch (Exception e) {
          Out.emit("zombie-commit", "case", name, "ok", false, "chain", Out.chain(e));
        }
        fresh.beginTransaction();
        for (int p = 0; p < 2; p++) {
          String v = "new-" + name + "-" + p;
          sent("zombie", 1, "commit", fresh.send(new ProducerRecord<>(topic, p, "n", v)).get(), v);
        }
        fresh.commitTransaction();
        Out.emit("end-txn", "case", name, "commit", true);
      }
    } finally {
      zombie.close(java.time.Duration.ZERO);
    }
  }
}
