package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Activate.Generation;
import dewy.pid1.HttpLoad.Kind;
import dewy.pid1.HttpLoad.Outcome;
import dewy.pid1.HttpLoad.Result;
import dewy.pid1.HttpLoad.Target;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The example applications of docker/examples by themselves: src/test/python/activate.py hands them their sockets,
 * environment and notify socket the way dewy will, so these tests pin what the apps do, not what dewy does.
 */
class ExamplesIT {
    static final Path PYTHON_APP = Path.of("docker/examples/python/app.py").toAbsolutePath();
    static final Path JAVA_APP = Path.of("docker/examples/java/HelloServer.java").toAbsolutePath();
    /** The Java example needs JDK 22+ for READY=1 (java.lang.foreign). */
    static final Path JAVA25 = Path.of(System.getProperty("dewy.java25", "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"));
    static final Duration START = Duration.ofSeconds(30);  // a JVM that compiles its source, on a busy 2-core VM
    static Path javaClasses;

    @TempDir
    Path tmp;

    enum App {
        PYTHON, JAVA;

        /** The command; Java runs the class compiled once by {@link #javaClasses}, except where a test says. */
        List<String> command(String... args) {
            List<String> cmd = new ArrayList<>(this == PYTHON ? List.of("/usr/bin/python3", PYTHON_APP.toString())
                    : List.of(JAVA25.toString(), "--enable-native-access=ALL-UNNAMED", "-cp", javaClasses().toString(),
                            "HelloServer"));
            cmd.addAll(List.of(args));
            return cmd;
        }

        /** How the app takes its listener: Python from LISTEN_FDS (fd 3), Java from System.inheritedChannel(). */
        String port(String spec) {
            return this == PYTHON ? spec : spec + "=0";
        }
    }

    /** The JDK 25 java; a clear failure, not a skip, when there is none. */
    static Path java25() {
        assertTrue(Files.isExecutable(JAVA25) && Files.isExecutable(JAVA25.resolveSibling("javac")), "no JDK 22+ at "
                + JAVA25.getParent() + ": the Java example needs one for READY=1 (java.lang.foreign); install Temurin"
                + " 25 there or pass -Ddewy.java25=/path/to/bin/java");
        return JAVA25;
    }

    /** HelloServer.java compiled once with JDK 25. */
    static synchronized Path javaClasses() {
        if (javaClasses == null) {
            Path javac = java25().resolveSibling("javac");
            Path out = Dewy.TARGET.resolve("examples-java");
            Path log = Dewy.TARGET.resolve("examples-javac.log");
            try {
                Process p = new ProcessBuilder(javac.toString(), "-nowarn", "-d", out.toString(), JAVA_APP.toString())
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0,
                        "javac HelloServer.java failed: " + Dewy.read(log));
            } catch (IOException | InterruptedException e) {
                throw new AssertionError("cannot run " + javac, e);
            }
            javaClasses = out;
        }
        return javaClasses;
    }

    private Activate activate(List<String> options, List<String> command) throws IOException {
        return Activate.start(tmp, options, command, Map.of("APP_HUP_FILE", tmp.resolve("hup").toString()));
    }

    private static HttpLoad.Builder load(Target target) {
        return HttpLoad.to(target).deadline(Duration.ofSeconds(60)).requestTimeout(Duration.ofSeconds(10));
    }

    /** One request on a new connection; its body. */
    private static String get(Target target, String path) throws HttpLoad.Failure {
        try (HttpLoad.Connection c = HttpLoad.Connection.open(target, deadline(5))) {
            return c.exchange(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                    deadline(5)).body();
        }
    }

    /** Waits until {@code GET /} answers {@code body}: for apps whose readiness is not reported. */
    private static void awaitServing(Target t, String body) {
        Dewy.await("\"" + body.trim() + "\" from " + t, START, () -> {
            try {
                return get(t, "/").equals(body);
            } catch (HttpLoad.Failure f) {
                return false;
            }
        });
    }

    private static long deadline(int seconds) {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    }

    // ---- where the socket comes from, and the environment --------------------------------------------------

    @Test
    void pythonServesListenFdsAndSeesItsEnvironmentExactly() throws Exception {
        try (Activate a = activate(List.of("--port", "127.0.0.1:0", "--port", "[::1]:0"), App.PYTHON.command())) {
            Generation g = a.spawn();
            a.awaitNotify(g, "READY=1", START);
            String p1 = a.address(0);
            String p2 = a.address(1);
            assertEquals("pid=" + g.pid() + " gen=1\n", get(a.target(0), "/"), "LISTEN_PID is its own pid, fd 3 serves");
            assertEquals("LISTEN_FDNAMES=" + p1.replace(':', '_') + ":" + p2.replace(':', '_') + "\n"
                    + "LISTEN_FDS=2\n"
                    + "LISTEN_PID=" + g.pid() + "\n"
                    + "NOTIFY_SOCKET=" + g.notifySocket() + "\n"
                    + "SERVER_STARTER_GENERATION=1\n"
                    + "SERVER_STARTER_PORT=" + p1 + "=3;" + p2 + "=4\n", get(a.target(0), "/env"));
            assertEquals(List.of("READY=1"), a.notifications(g));
        }
    }

    @Test
    void pythonServesTheServerStarterEntryNamedByListenOnAUnixSocket() throws Exception {
        String first = tmp.resolve("a.sock").toString();
        String second = tmp.resolve("b.sock").toString();
        try (Activate a = activate(List.of("--env", "starter", "--port", first, "--port", second),
                App.PYTHON.command("--listen", second))) {
            Generation g = a.spawn();
            a.awaitNotify(g, "READY=1", START);
            assertEquals("NOTIFY_SOCKET=" + g.notifySocket() + "\nSERVER_STARTER_GENERATION=1\n"
                    + "SERVER_STARTER_PORT=" + first + "=3;" + second + "=4\n", get(a.target(1), "/env"));
            Result r = load(a.target(1)).keepAlive(1).oneShot(1).maxRequests(50).run();
            assertEquals(Map.of(Outcome.OK, 50L), r.counts(), r.toString());
            Result other = load(a.target(0)).requestTimeout(Duration.ofMillis(300)).maxRequests(1).run();
            assertEquals(Map.of(Outcome.TIMEOUT, 1L), other.counts(), "nobody accepts on the other socket: " + other);
        }
    }

    @Test
    void pythonRefusesSocketsMeantForAnotherPid() throws Exception {
        try (Activate a = activate(List.of("--listen-pid", "1", "--port", "127.0.0.1:0"), App.PYTHON.command())) {
            Generation g = a.spawn();
            assertEquals(2, a.awaitExit(g, START));
            assertTrue(a.log().contains("LISTEN_PID=1 is not this process (" + g.pid() + ")"), a.log());
        }
    }

    @ParameterizedTest
    @EnumSource(App.class)
    void bothServeASocketOnFd0AndNotifyAnAbstractSocket(App app) throws Exception {
        try (Activate a = activate(List.of("--env", "none", "--notify", "abstract", "--port", "127.0.0.1:0=0"),
                app.command())) {
            Generation g = a.spawn();
            a.awaitNotify(g, "READY=1", START);
            assertTrue(g.notifySocket().startsWith("@"), g.notifySocket());
            assertEquals("NOTIFY_SOCKET=" + g.notifySocket() + "\n", get(a.target(0), "/env"));
            assertEquals("pid=" + g.pid() + " gen=0\n", get(a.target(0), "/"));
        }
    }

    @ParameterizedTest
    @EnumSource(App.class)
    void bothServeIpv6AndUnixSockets(App app) throws Exception {
        for (String spec : List.of("[::1]:0", tmp.resolve("app.sock").toString())) {
            try (Activate a = activate(List.of("--port", app.port(spec)), app.command())) {
                Generation g = a.spawn();
                a.awaitNotify(g, "READY=1", START);
                Result r = load(a.target(0)).keepAlive(1).oneShot(1).maxRequests(40).run();
                assertEquals(Map.of(Outcome.OK, 40L), r.counts(), spec + ": " + r);
                assertEquals(List.of(g.pid()), r.pids());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(App.class)
    void bothBindTheirOwnPortWithBind(App app) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (Activate a = activate(List.of("--env", "none", "--notify", "none"),
                app.command("--bind", "127.0.0.1:" + port))) {
            Generation g = a.spawn();
            Target t = Target.tcp("127.0.0.1", port);
            awaitServing(t, "pid=" + g.pid() + " gen=0\n");
            a.kill(g, "TERM");
            assertEquals(0, a.awaitExit(g, Duration.ofSeconds(10)));
        }
    }

    @Test
    void javaFromSourceOnJdk25ReportsReadyThroughAnAbstractNotifySocket() throws Exception {
        List<String> source = List.of(java25().toString(), "--enable-native-access=ALL-UNNAMED", JAVA_APP.toString());
        try (Activate a = activate(List.of("--notify", "abstract", "--port", "127.0.0.1:0=0"), source)) {
            Generation g = a.spawn();
            a.awaitNotify(g, "READY=1", START);
            assertTrue(g.notifySocket().startsWith("@"), g.notifySocket());
            assertEquals("NOTIFY_SOCKET=" + g.notifySocket() + "\nSERVER_STARTER_GENERATION=1\n"
                    + "SERVER_STARTER_PORT=" + a.address(0) + "=0\n", get(a.target(0), "/env"));
            a.kill(g, "TERM");
            a.awaitNotify(g, "STOPPING=1", Duration.ofSeconds(10));
            assertEquals(0, a.awaitExit(g, Duration.ofSeconds(10)));
            assertTrue(!a.log().contains("WARNING"), "no restricted-method warning with --enable-native-access\n"
                    + a.log());
        }
    }

    @Test
    void javaFromSourceOnJdk17ServesButRefusesNotifySocketItCannotUse() throws Exception {
        List<String> source = List.of(Dewy.JAVA, JAVA_APP.toString());
        try (Activate a = activate(List.of("--notify", "none", "--port", "127.0.0.1:0=0"), source)) {
            Generation g = a.spawn();
            Target t = a.target(0);
            awaitServing(t, "pid=" + g.pid() + " gen=1\n");
        }
        try (Activate a = activate(List.of("--port", "127.0.0.1:0=0"), source)) {
            Generation g = a.spawn();
            assertEquals(2, a.awaitExit(g, START));
            assertTrue(a.log().contains("NOTIFY_SOCKET is set, but sending READY=1 needs java.lang.foreign (JDK 22+)"),
                    a.log());
        }
    }

    // ---- readiness -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(App.class)
    void startupDelayHoldsBackReadyAndNeverReadyServesWithoutIt(App app) throws Exception {
        try (Activate a = activate(List.of("--port", app.port("127.0.0.1:0")), app.command("--startup-delay", "1500"))) {
            long t0 = System.nanoTime();
            Generation g = a.spawn();
            long ready = a.awaitNotify(g, "READY=1", START);
            assertTrue(ready - t0 >= TimeUnit.MILLISECONDS.toNanos(1500), "READY=1 after the start-up delay");
        }
        try (Activate a = activate(List.of("--port", app.port("127.0.0.1:0")), app.command("--never-ready"))) {
            Generation g = a.spawn();
            Target t = a.target(0);
            awaitServing(t, "pid=" + g.pid() + " gen=1\n");
            Dewy.sleep(300);
            assertEquals(List.of(), a.notifications(g), "serves, but never says READY=1");
        }
    }

    @ParameterizedTest
    @EnumSource(App.class)
    void crashOnStartExits3(App app) throws Exception {
        try (Activate a = activate(List.of("--port", app.port("127.0.0.1:0")), app.command("--crash-on-start"))) {
            Generation g = a.spawn();
            assertEquals(3, a.awaitExit(g, START));
            assertEquals(List.of(), a.notifications(g));
        }
    }

    @ParameterizedTest
    @EnumSource(App.class)
    void hupReachesEachGenerationItIsSentTo(App app) throws Exception {
        try (Activate a = activate(List.of("--port", app.port("127.0.0.1:0")), app.command())) {
            Generation g1 = a.spawn();
            Generation g2 = a.spawn();
            a.awaitNotify(g1, "READY=1", START);
            a.awaitNotify(g2, "READY=1", START);
            a.kill(g1, "HUP");
            a.kill(g2, "HUP");
            Path hup = tmp.resolve("hup");
            try {
                Dewy.await("two hup lines", Duration.ofSeconds(10), () -> Dewy.lines(hup).size() >= 2);
            } catch (AssertionError e) { // seen once in CI (the Java example): say what the applications said
                throw new AssertionError(e.getMessage() + "; hup file " + Dewy.lines(hup) + "\n" + a.log(), e);
            }
            assertEquals(List.of("hup " + g1.pid(), "hup " + g2.pid()), Dewy.lines(hup).stream().sorted().toList());
            assertEquals(Optional.empty(), a.event(l -> l.startsWith("exited ")), "HUP ends neither");
        }
    }

    // ---- the drain -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(App.class)
    void termFinishesInFlightRequestsClosesKeepAliveAndExits0(App app) throws Exception {
        try (Activate a = activate(List.of("--port", app.port("127.0.0.1:0")), app.command())) {
            Generation g = a.spawn();
            a.awaitNotify(g, "READY=1", START);
            Target t = a.target(0);
            byte[] get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            try (HttpLoad.Connection idle = HttpLoad.Connection.open(t, deadline(5));
                 HttpLoad.Connection busy = HttpLoad.Connection.open(t, deadline(5))) {
                assertTrue(!idle.exchange(get, deadline(5)).close(), "keep-alive before the drain");
                assertTrue(!busy.exchange(get, deadline(5)).close());
                HttpLoad slow = load(t).keepAlive(0).longRequests(1, Duration.ofMillis(1500)).maxRequests(1).start();
                Dewy.sleep(500);  // the long request is in flight
                long t0 = System.nanoTime();
                a.kill(g, "TERM");
                a.awaitNotify(g, "STOPPING=1", Duration.ofSeconds(10));
                HttpLoad.Response next = busy.exchange(get, deadline(5));
                assertEquals(200, next.status());
                assertTrue(next.close(), "the next request on a keep-alive connection is answered with Connection: close");
                Result r = slow.awaitEnd();
                assertEquals(Map.of(Outcome.OK, 1L), r.counts(), "the request in flight completes: " + r);
                assertEquals(0, a.awaitExit(g, Duration.ofSeconds(10)), a.log());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                // the idle connection, never used again, was closed after about a second of the drain
                assertTrue(ms < 6000, "exited " + ms + " ms after TERM, with an idle keep-alive connection open");
            }
        }
    }

    // ---- the point of it all: a generation swap on a shared socket ------------------------------------------

    @ParameterizedTest
    @EnumSource(App.class)
    void swappingGenerationsOnASharedSocketFailsNoRequest(App app) throws Exception {
        int swaps = app == App.PYTHON ? 4 : 2;
        try (Activate a = activate(List.of("--port", app.port("127.0.0.1:0")), app.command())) {
            Generation old = a.spawn();
            a.awaitNotify(old, "READY=1", START);
            List<Long> pids = new ArrayList<>(List.of(old.pid()));
            HttpLoad load = load(a.target(0)).keepAlive(2).oneShot(2).longRequests(1, Duration.ofMillis(800))
                    .maxRequests(500_000).start();
            load.awaitOk(Kind.KEEP_ALIVE, 20, Duration.ofSeconds(10));
            for (int i = 0; i < swaps; i++) {
                Generation next = a.spawn();
                a.awaitNotify(next, "READY=1", START);
                a.kill(old, "TERM");
                assertEquals(0, a.awaitExit(old, Duration.ofSeconds(20)), a.log());
                pids.add(next.pid());
                old = next;
                long before = load.snapshot().ok();
                Dewy.await("requests served by generation " + next.number(), Duration.ofSeconds(10),
                        () -> load.snapshot().ok() > before + 20);
            }
            Result r = load.stop();
            System.out.println(app + " swaps: " + r);
            assertEquals(0, r.failed(), r.toString());
            assertEquals(pids, r.pids(), "every generation served, in order: " + r);
            assertTrue(r.only(Kind.LONG).ok() >= 2, "long requests complete across swaps: " + r);
            assertTrue(r.only(Kind.ONE_SHOT).ok() > 0 && r.only(Kind.KEEP_ALIVE).ok() > 0, r.toString());
        }
    }
}
