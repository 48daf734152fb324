import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToIntFunction;
import software.amazon.event.ruler.Machine;

/**
 * The pattern bench's peer: aws/event-ruler matching the rules and events that
 * bench/patterns.bench.ts wrote, one JSON document per line. Writes which rules each event
 * matched (one line per event, rule numbers in ascending order) to the matches file, and prints
 * one JSON object with the figures on stdout.
 *
 * <p>Usage: java -cp 'classes:lib/*' EventRulerPeer rules.jsonl events.jsonl matches.txt pool ms
 * rounds [cpu|wall]. Every event is matched once for the matches file; the figures cycle through
 * the first `pool` events, as the TypeScript side does, in `rounds` rounds (0 to only write the
 * matches) of at least `ms` milliseconds after a warm-up, and keep the median round. The clock is
 * the process's CPU time by default, as on the TypeScript side.
 */
public final class EventRulerPeer {
  private static long sink;
  private static boolean cpuClock;
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  public static void main(String[] args) throws Exception {
    List<String> rules = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
    List<String> texts = Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8);
    Path matchesFile = Path.of(args[2]);
    int pool = Math.min(Integer.parseInt(args[3]), texts.size());
    long roundMs = Long.parseLong(args[4]);
    int rounds = Integer.parseInt(args[5]);
    cpuClock = args.length <= 6 || !args[6].equals("wall");

    long started = System.nanoTime();
    Machine machine = Machine.builder().build();
    for (int i = 0; i < rules.size(); i++) machine.addRule(Integer.toString(i), rules.get(i));
    double buildMs = (System.nanoTime() - started) / 1e6;

    ObjectMapper mapper = new ObjectMapper();
    JsonNode[] parsed = new JsonNode[pool];
    for (int i = 0; i < pool; i++) parsed[i] = mapper.readTree(texts.get(i));

    long matchCount = 0;
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(matchesFile))) {
      for (String text : texts) {
        List<String> names = machine.rulesForJSONEvent(text);
        int[] ids = names.stream().mapToInt(Integer::parseInt).sorted().toArray();
        matchCount += ids.length;
        StringBuilder line = new StringBuilder();
        for (int id : ids) line.append(line.length() == 0 ? "" : " ").append(id);
        out.println(line);
      }
    }

    String[] textArray = texts.subList(0, pool).toArray(new String[0]);
    ToIntFunction<String> onText =
        text -> {
          try {
            return machine.rulesForJSONEvent(text).size();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };
    ToIntFunction<JsonNode> onParsed = node -> machine.rulesForJSONEvent(node).size();
    double textMicros = 0;
    double parsedMicros = 0;
    if (rounds > 0 && pool > 0) {
      // Warm-up: the JIT compiles the hot paths within the first seconds.
      measure(textArray, onText, Math.max(roundMs, 1000), 1);
      measure(parsed, onParsed, Math.max(roundMs, 1000), 1);
      textMicros = measure(textArray, onText, roundMs, rounds);
      parsedMicros = measure(parsed, onParsed, roundMs, rounds);
    }

    System.out.printf(
        "{\"rules\":%d,\"events\":%d,\"matches\":%d,\"buildMs\":%.3f,\"textMicros\":%.4f,"
            + "\"parsedMicros\":%.4f,\"java\":\"%s\",\"sink\":%d}%n",
        rules.size(),
        texts.size(),
        matchCount,
        buildMs,
        textMicros,
        parsedMicros,
        System.getProperty("java.version"),
        sink);
  }

  /** Median µs per event over `rounds` rounds of at least `roundMs`, cycling through `events`. */
  private static <E> double measure(E[] events, ToIntFunction<E> match, long roundMs, int rounds) {
    double[] results = new double[rounds];
    int position = 0;
    for (int round = 0; round < rounds; round++) {
      System.gc();
      long count = 0;
      long started = clockNanos();
      long elapsed = 0;
      while (elapsed < roundMs * 1_000_000L) {
        for (int i = 0; i < 64; i++) {
          sink += match.applyAsInt(events[position]);
          position = (position + 1) % events.length;
        }
        count += 64;
        elapsed = clockNanos() - started;
      }
      results[round] = elapsed / 1e3 / count;
    }
    Arrays.sort(results);
    return results[rounds / 2];
  }

  /**
   * The process's CPU time (every JVM thread, the JIT compiler's and garbage collector's included),
   * as the TypeScript side counts it, or the wall clock.
   */
  private static long clockNanos() {
    return cpuClock ? OS.getProcessCpuTime() : System.nanoTime();
  }

  private EventRulerPeer() {}
}
