// The producer of the failover test and benchmark (bench/failover-producer.ts): Apache Kafka's
// Java producer with idempotence on and acks=all (its defaults, said explicitly), sending at a
// fixed rate to every partition of one topic in turn until a line "stop" arrives on standard
// input (or it closes), then flushing and closing.
//
// Each record's value is "<partition>:<sequence>" (sequence per partition, from 0). Every
// outcome is one line on standard output, as the callback reports it:
//   a <partition> <offset> <sequence> <epoch ms> <sent epoch ms>   acknowledged
//   f <partition> <sequence> <epoch ms> <exception>     failed (the send's callback had an error)
// and at the end "done <sent> <acked> <failed>". Nothing else goes to standard output (Kafka's
// logging has no binding: silent).
//
// Arguments: bootstrap topic partitions recordsPerSecond [key=value producer overrides...]
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public final class FailoverProducer {
  private static final PrintStream OUT = new PrintStream(System.out, false, StandardCharsets.UTF_8);

  private FailoverProducer() {}

  private static synchronized void line(String s) {
    OUT.println(s);
    OUT.flush();
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int partitions = Integer.parseInt(args[2]);
    double rate = Double.parseDouble(args[3]);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "failover-producer");
    for (int i = 4; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    AtomicBoolean stop = new AtomicBoolean(false);
    Thread stdin = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) if (l.trim().equals("stop")) break;
      } catch (Exception ignored) {
        // standard input closed: stop too
      }
      stop.set(true);
    });
    stdin.setDaemon(true);
    stdin.start();

    AtomicLong acked = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long sent = 0;
    long[] next = new long[partitions];
    long intervalNanos = (long) (1e9 / rate);
    long start = System.nanoTime();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      while (!stop.get()) {
        long due = start + sent * intervalNanos;
        long wait = due - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        int p = (int) (sent % partitions);
        long seq = next[p]++;
        sent++;
        long sentAt = System.currentTimeMillis();
        producer.send(new ProducerRecord<>(topic, p, null, p + ":" + seq), (md, e) -> {
          long now = System.currentTimeMillis();
          if (e == null) {
            acked.incrementAndGet();
            line("a " + md.partition() + " " + md.offset() + " " + seq + " " + now + " " + sentAt);
          } else {
            failed.incrementAndGet();
            line("f " + p + " " + seq + " " + now + " " + e.getClass().getName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
          }
        });
      }
      producer.flush();
    }
    line("done " + sent + " " + acked.get() + " " + failed.get());
  }
}
