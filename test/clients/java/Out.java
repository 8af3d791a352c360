// Machine-checkable output for the real-client transaction tests: one JSON object per line on
// standard output (the Node test parses every line that starts with '{'), and the shared
// client settings. Kafka's own logging goes to standard error (no slf4j binding: silent).
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class Out {
  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  /**
   * How long one client call may block (initTransactions, commitTransaction, endOffsets,
   * committed, ...). Kafka's default (60 s) would make a broker that does not answer a
   * transactional request look like a hang; this fails with a TimeoutException instead.
   */
  static final Duration BLOCK = Duration.ofSeconds(30);
  static final int BLOCK_MS = (int) BLOCK.toMillis();

  private Out() {}

  /** Prints {"event": event, k1: v1, ...}. */
  static void emit(String event, Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("event", event);
    for (int i = 0; i + 1 < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    OUT.println(json(m));
  }

  /** The exception and its causes, outermost first, as [{class, message}]. */
  static List<Map<String, Object>> chain(Throwable t) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Throwable c = t; c != null && out.size() < 8; c = c.getCause()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("class", c.getClass().getName());
      m.put("message", String.valueOf(c.getMessage()));
      out.add(m);
    }
    return out;
  }

  /** Runs the program; any exception is printed as an "error" event and exits with 1. */
  static void run(Body body) {
    try {
      body.run();
      emit("done");
      System.exit(0);
    } catch (Throwable t) {
      t.printStackTrace();
      emit("error", "chain", chain(t));
      System.exit(1);
    }
  }

  interface Body {
    void run() throws Exception;
  }

  static String json(Object v) {
    if (v == null) return "null";
    if (v instanceof Number || v instanceof Boolean) return v.toString();
    if (v instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (sb.length() > 1) sb.append(',');
        sb.append(json(String.valueOf(e.getKey()))).append(':').append(json(e.getValue()));
      }
      return sb.append('}').toString();
    }
    if (v instanceof Collection<?> c) {
      StringBuilder sb = new StringBuilder("[");
      for (Object o : c) {
        if (sb.length() > 1) sb.append(',');
        sb.append(json(o));
      }
      return sb.append(']').toString();
    }
    String s = v.toString();
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
          else sb.append(ch);
        }
      }
    }
    return sb.append('"').toString();
  }
}
