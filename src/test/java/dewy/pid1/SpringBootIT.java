package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.pid1.HttpLoad.Kind;
import dewy.pid1.HttpLoad.Target;
import dewy.posix.Signals;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real Spring Boot apps from Maven Central whose only tie to dewy is dev.dewy:dewy-spring-boot-starter
 * (docker/examples/spring-boot), as PID 1's application with {@code --port 127.0.0.1:P=0 --ready notify}: the
 * starter makes Tomcat or Jetty serve on the socket dewy holds, sends READY=1 and drains on dewy's TERM.
 */
class SpringBootIT {
    @TempDir
    Path tmp;

    /** Spring Boot 3.5, Tomcat: a 5 s start-up bean gates the swap; then 20 restarts under load, 0 failed. */
    @Test
    void boot3TomcatSwapsOnlyWhenReadyAndTwentyRestartsFailNoRequest() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = JavaApps.start(tmp, port, JavaApps.BOOT3)) {
            HttpLoad load = JavaApps.load(port, 1, Duration.ofSeconds(3), Duration.ofSeconds(900));
            JavaApps.swapIsGatedByReadiness(dewy, tmp, load, 1);
            JavaApps.restarts(dewy, load, 2, 20);
            assertEquals(0, dewy.countLog("restart failed"), dewy.log());
            assertTrue(Dewy.read(dewy.stdout).contains("Tomcat serves on the socket dewy holds: fd 0"), "the starter's line");
        }
    }

    /** TERM: the request in flight completes (Spring's graceful shutdown); the JVM's 143 is dewy's 0. */
    @Test
    void termCompletesTheRequestInFlightAndDewyExitsZero() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = JavaApps.start(tmp, port, JavaApps.BOOT3)) {
            long pid = dewy.readyPid(1);
            HttpLoad request = HttpLoad.to(Target.tcp("127.0.0.1", port)).keepAlive(0)
                    .longRequests(1, Duration.ofSeconds(3)).maxRequests(1).deadline(Duration.ofSeconds(30)).start();
            Dewy.sleep(1000); // in flight
            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(60)), dewy.log());
            HttpLoad.Result result = request.awaitEnd();
            assertEquals(1, result.only(Kind.LONG).ok(), "the 3 s request begun before TERM: " + result);
            assertEquals(pid, result.requests.get(0).pid());
            assertTrue(dewy.log().contains("code=143 counts_as=0"), dewy.log());
            assertTrue(Dewy.read(dewy.stdout).contains("Graceful shutdown complete"), "stdout kept to the end");
        }
    }

    /**
     * Spring Boot 4 (Tomcat 11) and the starter's Jetty path on Boot 3.5 and 4: the swap is gated, and 20 restarts
     * under load fail no request.
     */
    @ParameterizedTest
    @ValueSource(strings = {JavaApps.BOOT4, JavaApps.BOOT3_JETTY, JavaApps.BOOT4_JETTY})
    void boot4AndJettySwapOnlyWhenReadyAndFailNoRequest(String jar) throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = JavaApps.start(tmp, port, jar)) {
            HttpLoad load = JavaApps.load(port, 1, Duration.ofSeconds(3), Duration.ofSeconds(600));
            JavaApps.swapIsGatedByReadiness(dewy, tmp, load, 1);
            JavaApps.restarts(dewy, load, 2, 20);
            String server = jar.contains("jetty") ? "Jetty" : "Tomcat";
            assertTrue(Dewy.read(dewy.stdout).contains(server + " serves on the socket dewy holds: fd 0"), Dewy.read(dewy.stdout));
        }
    }

    /**
     * Outside dewy (no socket on fd 0, no NOTIFY_SOCKET, LISTEN_FDS or SERVER_STARTER_PORT) the starter configures
     * nothing: Spring's own report lists its auto-configuration as not matched, the app binds server.port itself,
     * no dewy line is logged, and TERM ends the JVM with its own 143.
     */
    @Test
    void outsideDewyTheStarterChangesNothing() throws Exception {
        int port = StarterIT.freePort();
        Path out = tmp.resolve("app.out");
        ProcessBuilder pb = new ProcessBuilder(Dewy.JAVA, "-jar", JavaApps.jar(JavaApps.BOOT3).toString(),
                "--server.port=" + port, "--server.address=127.0.0.1", "--debug")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(out.toFile());
        for (String name : new String[] {"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                "SERVER_STARTER_PORT"}) {
            pb.environment().remove(name);
        }
        Process app = pb.start();
        try {
            Dewy.await("the app serving on its own port", Duration.ofSeconds(120),
                    () -> StarterIT.httpStatus(port, "/") == 200 || !app.isAlive());
            assertTrue(app.isAlive(), Dewy.read(out));
            String log = Dewy.read(out);
            int negative = log.indexOf("Negative matches:");
            int mine = log.indexOf("DewyAutoConfiguration:\n      Did not match:\n         - no supervisor: no "
                    + "listening socket on fd 0, no NOTIFY_SOCKET, SERVER_STARTER_PORT or LISTEN_FDS");
            assertTrue(negative > 0 && mine > negative && log.indexOf("Exclusions:") > mine,
                    "Spring's conditions report lists the starter as not matched, and why:\n" + log);
            assertTrue(!log.contains("dewy holds") && !log.contains("READY=1"), log);
        } finally {
            app.destroy();
        }
        assertTrue(app.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(143, app.exitValue(), Dewy.read(out));
    }

    /**
     * A newcomer's Spring Boot app that binds server.port itself (the starter switched off, as without it) under
     * {@code --port}: it crash-loops with "Port ... already in use", slowly, and dewy's log says why.
     */
    @Test
    void aSelfBindingSpringBootAppGetsTheHint() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + port, "--max-restarts", "1",
                "--restart-delay", "200ms", "--", Dewy.JAVA, "-jar", JavaApps.jar(JavaApps.BOOT3).toString(),
                "--dewy.enabled=false", "--server.port=" + port, "--server.address=127.0.0.1")) {
            dewy.awaitLog("if it binds its port itself, that fails with \\\"address already in use\\\" because dewy "
                    + "holds the port", 1, Duration.ofSeconds(120));
            assertTrue(Dewy.read(dewy.stdout).contains("Port " + port + " was already in use"), Dewy.read(dewy.stdout));
        }
    }
}
