// Rebalance time of a consumer group, for bench/rebalance.ts: N consumers (threads of this JVM,
// one KafkaConsumer each) share a topic of 2(N+1) partitions; then, round after round, one more
// consumer joins and the time is measured from its subscribe() until every member holds its
// new assignment and polls with it: the N+1 assignments (as each member's own
// onPartitionsAssigned/onPartitionsRevoked callbacks report them, inside poll) are disjoint,
// non-empty and cover every partition. The extra member then leaves (close()) and the group
// settles again before the next round.
//
//   <bootstrap> <group> <topic> <members> <classic|consumer> <rounds> [<classic heartbeat.interval.ms>]
// Prints {"event":"round","round":i,"rebalanceMs":...} per round and {"event":"done"}.
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class Kip848RebalanceBench {
  private Kip848RebalanceBench() {}

  /** One member: a consumer polling on its own thread, its assignment as its callbacks saw it. */
  static final class Member implements Runnable {
    final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
    final AtomicBoolean running = new AtomicBoolean(true);
    final Thread thread;
    private final Properties props;
    private final String topic;

    Member(Properties props, String topic, String name) {
      this.props = props;
      this.topic = topic;
      this.thread = new Thread(this, name);
      this.thread.setDaemon(true);
    }

    @Override
    public void run() {
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            owned.removeAll(partitions);
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            owned.addAll(partitions);
          }

          @Override
          public void onPartitionsLost(Collection<TopicPartition> partitions) {
            owned.removeAll(partitions);
          }
        });
        while (running.get()) consumer.poll(Duration.ofMillis(50));
      } catch (Exception e) {
        Out.emit("error", "chain", Out.chain(e));
      }
      owned.clear();
    }
  }

  static boolean settled(List<Member> members, int partitions) {
    Set<TopicPartition> all = new HashSet<>();
    int total = 0;
    for (Member m : members) {
      Set<TopicPartition> mine = new HashSet<>(m.owned);
      if (mine.isEmpty()) return false;
      total += mine.size();
      all.addAll(mine);
    }
    return total == partitions && all.size() == partitions;
  }

  static long waitSettled(List<Member> members, int partitions, long startNs) throws InterruptedException {
    long deadline = startNs + 300_000_000_000L;
    while (!settled(members, partitions)) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("the group did not settle in 300 s");
      Thread.sleep(2);
    }
    return System.nanoTime() - startNs;
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String group = args[1];
    String topic = args[2];
    int n = Integer.parseInt(args[3]);
    String protocol = args[4];
    int rounds = Integer.parseInt(args[5]);
    int partitions = 2 * (n + 1);
    try {
      Properties ap = new Properties();
      ap.put("bootstrap.servers", bootstrap);
      try (Admin admin = Admin.create(ap)) {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
      }
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      p.put("group.id", group);
      p.put("group.protocol", protocol);
      if (args.length > 6 && protocol.equals("classic")) p.put("heartbeat.interval.ms", args[6]);
      p.put("key.deserializer", ByteArrayDeserializer.class.getName());
      p.put("value.deserializer", ByteArrayDeserializer.class.getName());
      List<Member> members = new ArrayList<>();
      long started = System.nanoTime();
      for (int i = 0; i < n; i++) {
        Member m = new Member(p, topic, "member-" + i);
        members.add(m);
        m.thread.start();
      }
      Out.emit("started", "members", n, "partitions", partitions, "settleMs", waitSettled(members, partitions, started) / 1_000_000.0);
      for (int round = 1; round <= rounds; round++) {
        Member extra = new Member(p, topic, "extra-" + round);
        members.add(extra);
        long t0 = System.nanoTime();
        extra.thread.start();
        long joinNs = waitSettled(members, partitions, t0);
        extra.running.set(false);
        extra.thread.join();
        members.remove(extra);
        long t1 = System.nanoTime();
        long leaveNs = waitSettled(members, partitions, t1);
        Out.emit("round", "round", round, "rebalanceMs", joinNs / 1_000_000.0, "leaveMs", leaveNs / 1_000_000.0);
      }
      for (Member m : members) m.running.set(false);
      for (Member m : members) m.thread.join(60_000);
      Out.emit("done");
    } catch (Throwable t) {
      Out.emit("error", "chain", Out.chain(t));
      System.exit(1);
    }
  }
}
