package dewy.container;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One client against the example server, one request after the other, 2 ms apart, bounded in count and in time:
 * counts what failed (an error, a timeout, a status other than 200, a body that is not a hello) and which version,
 * generation and pid served the rest, in the order they first answered.
 */
final class HelloLoad {
    /** HelloServer's answer; {@code version=} only when the release set APP_VERSION. */
    static final Pattern HELLO = Pattern.compile("pid=(\\d+) gen=(\\d+)(?: version=(\\S+))?\n");

    /** GET / on the port, with the caller's own timeout; throws or fails an assertion on anything but 200. */
    interface Get {
        String get(int port) throws IOException, InterruptedException;
    }

    /**
     * @param servedBy version ("" when none) to the {@code generation:pid}s that answered for it
     * @param bounded  the client ran out of requests or time before {@link #finish}
     */
    record Result(int ok, int failed, String firstFailure, Map<String, Set<String>> servedBy, long slowestMs,
                  boolean bounded) {
        Set<Integer> generations() {
            Set<Integer> gens = new TreeSet<>();
            for (Set<String> served : servedBy.values()) {
                for (String s : served) {
                    gens.add(Integer.parseInt(s.substring(0, s.indexOf(':'))));
                }
            }
            return gens;
        }

        /** Nothing failed, the client ran to the end, and generations 1 to {@code last} each served. */
        void assertNoFailureAndEveryGeneration(int last) {
            org.junit.jupiter.api.Assertions.assertFalse(bounded,
                    "the client ran out of requests or time before the last restart");
            org.junit.jupiter.api.Assertions.assertEquals(0, failed, "failed requests: " + firstFailure);
            assertTrue(ok > 100, "the client kept asking: " + ok);
            Set<Integer> expected = new TreeSet<>();
            for (int g = 1; g <= last; g++) {
                expected.add(g);
            }
            org.junit.jupiter.api.Assertions.assertEquals(expected, generations(), "every generation served");
        }
    }

    private final AtomicBoolean stop = new AtomicBoolean();
    private final Set<String> versions = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Result> result;

    private HelloLoad(Get client, int port, int maxRequests, Duration maxTime) {
        result = CompletableFuture.supplyAsync(() -> {
            long end = System.nanoTime() + maxTime.toNanos();
            int ok = 0;
            int failed = 0;
            String first = null;
            long slowest = 0;
            Map<String, Set<String>> servedBy = new LinkedHashMap<>();
            for (int i = 0; i < maxRequests && !stop.get() && System.nanoTime() < end; i++) {
                long t0 = System.nanoTime();
                try {
                    Matcher m = hello(client.get(port));
                    String version = m.group(3) == null ? "" : m.group(3);
                    servedBy.computeIfAbsent(version, v -> new TreeSet<>()).add(m.group(2) + ":" + m.group(1));
                    versions.add(version);
                    ok++;
                } catch (IOException | InterruptedException | AssertionError e) {
                    failed++;
                    String what = e instanceof HttpTimeoutException ? "no answer in time: " : "";
                    first = first == null ? what + e : first;
                }
                slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
                DewyContainer.sleep(2);
            }
            return new Result(ok, failed, first, servedBy, slowest, !stop.get());
        });
    }

    static HelloLoad start(Get client, int port, int maxRequests, Duration maxTime) {
        return new HelloLoad(client, port, maxRequests, maxTime);
    }

    static Matcher hello(String body) {
        Matcher m = HELLO.matcher(body);
        assertTrue(m.matches(), "not a hello: " + body);
        return m;
    }

    /** The versions that have answered so far. */
    Set<String> versions() {
        return versions;
    }

    Result finish() throws Exception {
        stop.set(true);
        return result.get();
    }
}
