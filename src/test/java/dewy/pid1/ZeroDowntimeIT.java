package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.pid1.HttpLoad.Kind;
import dewy.pid1.HttpLoad.Outcome;
import dewy.pid1.HttpLoad.Target;
import dewy.posix.Signals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The zero-downtime proof, as PID 1: dewy holds the socket, the Python example serves, a nonstop client load on
 * loopback (keep-alive, one connection per request, and requests that outlast a restart) runs through USR1
 * restarts, and not one request fails. Loads are bounded in time and count.
 */
class ZeroDowntimeIT {
    private static final Path APP = Path.of("docker/examples/python/app.py").toAbsolutePath();
    private static final Pattern READY = Pattern.compile("msg=\"generation ready\" generation=(\\d+) pid=(\\d+)");

    @TempDir
    Path tmp;

    /** generation number to pid, from dewy's "generation ready" lines. */
    static long readyPid(Dewy dewy, int generation) {
        Matcher m = READY.matcher(dewy.log());
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) == generation) {
                return Long.parseLong(m.group(2));
            }
        }
        throw new AssertionError("generation " + generation + " never ready:\n" + dewy.log());
    }

    static void awaitServedBy(HttpLoad load, long pid) {
        Dewy.await("a response from pid " + pid, Duration.ofSeconds(15), () -> load.snapshot().pids().contains(pid));
    }

    private Dewy start(String port, String... appArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--port", port, "--ready", "notify", "--ready-timeout", "3s",
                "--grace-period", "20s", "--", "python3", APP.toString()));
        args.addAll(List.of(appArgs));
        Dewy dewy = Dewy.start(Mode.PID1, tmp, args.toArray(String[]::new)).awaitStarted();
        dewy.awaitLog("msg=\"generation ready\" generation=1 ", 1, Duration.ofSeconds(20));
        return dewy;
    }

    @Test
    void twentyRestartsUnderNonstopLoadFailNoRequest() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = start("127.0.0.1:" + port)) {
            List<Long> pids = new ArrayList<>(List.of(readyPid(dewy, 1)));
            List<Long> swaps = new ArrayList<>();
            HttpLoad load = HttpLoad.to(Target.tcp("127.0.0.1", port)).keepAlive(2).oneShot(2)
                    .longRequests(2, Duration.ofMillis(1500)).deadline(Duration.ofSeconds(150))
                    .maxRequests(3_000_000).start();
            try {
                load.awaitOk(Kind.LONG, 1, Duration.ofSeconds(10));
                for (int g = 2; g <= 21; g++) {
                    dewy.signal(Signals.SIGUSR1);
                    dewy.awaitLog("msg=restarted generation=" + g + " ", 1, Duration.ofSeconds(15));
                    swaps.add(System.nanoTime());
                    long pid = readyPid(dewy, g);
                    pids.add(pid);
                    awaitServedBy(load, pid);
                    dewy.awaitLog("msg=\"generation exited\" generation=" + (g - 1) + " ", 1, Duration.ofSeconds(15));
                }
            } finally {
                HttpLoad.Result result = load.stop();
                assertEquals(0, result.failed(), "failed requests: " + result);
                for (Kind kind : Kind.values()) {
                    assertTrue(result.only(kind).ok() > 0, kind + " clients made no request: " + result);
                }
                assertEquals(pids, result.pids(), "every generation served, each with its own pid, in order");
                assertEquals(21, pids.stream().distinct().count());
                // requests that outlast a restart: begun on a generation, answered after it was told to stop
                long spanning = result.only(Kind.LONG).requests.stream()
                        .filter(r -> r.outcome() == Outcome.OK && spansASwap(r, swaps, pids)).count();
                assertTrue(spanning > 0, "no long request was in flight across a swap: " + result);
            }
            assertTrue(dewy.log().contains("msg=\"generation exited\" generation=20 "), dewy.log());
            assertEquals(0, dewy.countLog("restart failed"), dewy.log());
        }
    }

    /** Served by generation g-1 and finished after generation g took over (the old one had its TERM by then). */
    static boolean spansASwap(HttpLoad.Request r, List<Long> swaps, List<Long> pids) {
        for (int i = 0; i < swaps.size(); i++) {
            if (r.pid() == pids.get(i) && r.startNanos() < swaps.get(i) && r.endNanos() > swaps.get(i)) {
                return true;
            }
        }
        return false;
    }

    /** A new generation that crashes on start, then one that never gets ready: the old one serves throughout. */
    @Test
    void brokenNewGenerationsNeverFailARequest() throws Exception {
        int port = StarterIT.freePort();
        Path crash = tmp.resolve("crash");
        Path never = tmp.resolve("never");
        String script = "if [ -e " + crash + " ]; then exec python3 " + APP + " --crash-on-start; "
                + "elif [ -e " + never + " ]; then exec python3 " + APP + " --never-ready; "
                + "else exec python3 " + APP + "; fi";
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + port, "--ready", "notify",
                "--ready-timeout", "2s", "--grace-period", "10s", "--", "/bin/sh", "-c", script).awaitStarted()) {
            dewy.awaitLog("msg=\"generation ready\" generation=1 ", 1, Duration.ofSeconds(20));
            long first = readyPid(dewy, 1);
            HttpLoad load = HttpLoad.to(Target.tcp("127.0.0.1", port)).keepAlive(2).oneShot(2)
                    .deadline(Duration.ofSeconds(60)).maxRequests(1_000_000).start();
            HttpLoad.Result result;
            try {
                awaitServedBy(load, first);
                Files.writeString(crash, "");
                dewy.signal(Signals.SIGUSR1);
                dewy.awaitLog("msg=\"restart failed; the running generation keeps serving\" generation=2", 1,
                        Duration.ofSeconds(15));
                Files.delete(crash);
                Files.writeString(never, "");
                dewy.signal(Signals.SIGUSR1);
                dewy.awaitLog("msg=\"restart failed; the running generation keeps serving\" generation=3", 1,
                        Duration.ofSeconds(15));
                dewy.awaitLog("msg=\"generation exited\" generation=3 ", 1, Duration.ofSeconds(15));
                long before = load.snapshot().only(Kind.ONE_SHOT).ok();
                Dewy.sleep(500);
                assertTrue(load.snapshot().only(Kind.ONE_SHOT).ok() > before, "still serving after both failures");
            } finally {
                result = load.stop();
            }
            assertEquals(0, result.failed(), "failed requests: " + result);
            assertEquals(first, result.requests.get(result.requests.size() - 1).pid(),
                    "the first generation still serves: " + result);
            assertTrue(dewy.alive());
            assertEquals(0, dewy.countLog("msg=restarted"), "no swap happened");
        }
    }

    /** The same proof on a unix socket and on IPv6 loopback, through three restarts each. */
    @ParameterizedTest
    @ValueSource(strings = {"unix", "[::1]"})
    void unixSocketsAndIpv6ServeAcrossRestarts(String kind) throws Exception {
        int port = StarterIT.freePort();
        Path sock = tmp.resolve("app.sock");
        String spec = kind.equals("unix") ? sock.toString() : "[::1]:" + port;
        Target target = kind.equals("unix") ? Target.unix(sock) : Target.tcp("::1", port);
        try (Dewy dewy = start(spec)) {
            HttpLoad load = HttpLoad.to(target).keepAlive(2).oneShot(1).deadline(Duration.ofSeconds(60))
                    .maxRequests(1_000_000).start();
            HttpLoad.Result result;
            try {
                awaitServedBy(load, readyPid(dewy, 1));
                for (int g = 2; g <= 4; g++) {
                    dewy.signal(Signals.SIGUSR1);
                    dewy.awaitLog("msg=restarted generation=" + g + " ", 1, Duration.ofSeconds(15));
                    awaitServedBy(load, readyPid(dewy, g));
                }
            } finally {
                result = load.stop();
            }
            assertEquals(0, result.failed(), "failed requests: " + result);
            assertEquals(4, result.pids().size(), result.toString());
        }
    }
}
