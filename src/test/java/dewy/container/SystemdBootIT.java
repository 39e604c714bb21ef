package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.HttpLoad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * dewy under a real systemd (issue 14): systemd 254 from bookworm-backports boots as the container's PID 1
 * ({@link SystemdContainer}), and docker/systemd/dewy-reload.service runs as shipped, as hello.service, over the
 * Jetty example. The only drop-in gives dewy a port on 127.0.0.1 ({@code DEWY_PORT}, which is {@code --port}, so
 * the unit's ExecStart stays as it is) and no core files; /opt/hello/bin/hello runs the Jetty jar. So does
 * docker/systemd/dewy.service (Type=notify), as hello-notify.service. And the Jetty
 * example without dewy, as a Type=notify service of its own (issue 11): dev.dewy:dewy-app's sd_notify from JDK 17.
 */
@ContainerTest
class SystemdBootIT {
    private static final String UNIT = "hello.service";
    /** docker/systemd/dewy.service, the Type=notify unit with ExecReload=/bin/kill -USR1 $MAINPID. */
    private static final String NOTIFY_UNIT = "hello-notify.service";
    private static final Duration T = Duration.ofSeconds(60);
    private static SystemdContainer systemd;
    private String since;

    @BeforeAll
    static void boot() throws Exception {
        systemd = new SystemdContainer(SystemdContainer.image(System.getProperty("dewy.base.image"))).boot();
        // The shipped units, as their comments say to install them, and the server their ExecStart names.
        systemd.write("/etc/systemd/system/" + NOTIFY_UNIT, Files.readString(Path.of("docker/systemd/dewy.service")),
                0644);
        systemd.install("/etc/systemd/system/" + UNIT, Files.readString(Path.of("docker/systemd/dewy-reload.service")));
        // Enabled, as the units say: multi-user.target then holds them, so systemd keeps an inactive unit's Result
        // and ExecMainStatus instead of unloading it.
        systemd.systemctl("enable", UNIT, NOTIFY_UNIT);
        systemd.write("/opt/hello/bin/hello", "#!/bin/sh\n# The unit's server: the Jetty example (its --config is"
                + " the unit's placeholder).\nexec java -jar /opt/hello/hello-jetty.jar\n", 0755);
    }

    @AfterAll
    static void halt() {
        if (systemd != null) {
            systemd.halt();
        }
    }

    @BeforeEach
    void markTheJournal() {
        since = systemd.cursor();
    }

    /** The unit's journal since this test began. */
    private String journal(String unit) {
        return systemd.journal(unit, since);
    }

    @AfterEach
    void stopUnits() {
        systemd.run("systemctl", "stop", UNIT, NOTIFY_UNIT, "hello-app.service", "hello-app.socket");
        systemd.run("systemctl", "reset-failed");
    }

    /** The drop-in: the shipped unit on 127.0.0.1:PORT, with {@code more} [Service] lines. */
    private static int install(String more) throws Exception {
        return install(UNIT, more);
    }

    private static int install(String unit, String more) throws Exception {
        int port = DockerfileIT.freePort();
        systemd.install("/etc/systemd/system/" + unit + ".d/test.conf", "[Service]\n"
                + "# --port: the test's own port on 127.0.0.1, and the shipped ExecStart as it is\n"
                + "Environment=DEWY_PORT=127.0.0.1:" + port + "=0\n"
                + "# a watchdog's SIGABRT must not write a core of dewy's JVM\n"
                + "LimitCORE=0\n" + more);
        return port;
    }

    private static Duration timed(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** systemd's own record of how long the unit took from its main process's exec to active, in ms. */
    private static long startToActiveMs(String unit) {
        return (Long.parseLong(systemd.show(unit, "ActiveEnterTimestampMonotonic"))
                - Long.parseLong(systemd.show(unit, "ExecMainStartTimestampMonotonic"))) / 1000;
    }

    private static Matcher hello(int port) throws Exception {
        return HelloLoad.hello(DockerfileIT.get(port));
    }

    @Test
    void startReturnsOnlyOnceDewySaysReadyAndTheStatusIsDewys() throws Exception {
        int port = install("");
        assertEquals("notify-reload", systemd.show(UNIT, "Type"), "the shipped unit is in effect");
        assertEquals("10", systemd.show(UNIT, "ReloadSignal"));
        Duration took = timed(() -> systemd.systemctl("start", UNIT));

        assertEquals("active", systemd.show(UNIT, "ActiveState"), journal(UNIT));
        assertEquals("running", systemd.show(UNIT, "SubState"));
        assertEquals("serving, generation 1", systemd.show(UNIT, "StatusText"),
                "dewy's READY=1 came with its STATUS=, before systemctl start returned");
        long startup = startToActiveMs(UNIT);
        assertTrue(startup > 300, "active only after two JVMs started and Jetty said ready: " + startup + " ms");
        assertTrue(took.toMillis() >= startup, "systemctl start waited for it: " + took);
        String main = systemd.show(UNIT, "MainPID");
        assertTrue(systemd.ok("cat", "/proc/" + main + "/cmdline").contains("/opt/dewy/dewy.jar"),
                "MainPID is dewy's JVM: the launcher execs");
        assertEquals("hello", systemd.ok("stat", "-c", "%U", "/proc/" + main).strip(), "User= of the shipped unit");
        Matcher m = hello(port);
        assertEquals("1", m.group(2));
    }

    @Test
    void reloadUnderLoadFailsNoRequestKeepsMainPidAndReturnsOnceTheNewGenerationIsReady() throws Exception {
        int port = install("");
        systemd.systemctl("start", UNIT);
        String main = systemd.show(UNIT, "MainPID");
        HttpLoad load = HttpLoad.to(HttpLoad.Target.tcp("127.0.0.1", port)).keepAlive(2).oneShot(1)
                .deadline(Duration.ofSeconds(120)).maxRequests(500_000).start();
        long previous = Long.parseLong(hello(port).group(1));
        load.awaitServedBy(previous, T);
        int reloads = 3;
        for (int generation = 2; generation <= reloads + 1; generation++) {
            Duration took = timed(() -> systemd.systemctl("reload", UNIT));
            assertEquals("serving, generation " + generation, systemd.show(UNIT, "StatusText"),
                    "systemctl reload returned after dewy's READY=1 for the new generation (" + took + ")");
            assertEquals("active", systemd.show(UNIT, "ActiveState"));
            assertTrue(took.toMillis() > 300, "it waited for a JVM to start: " + took);
            assertEquals(main, systemd.show(UNIT, "MainPID"), "dewy stays the main process");
            long pid = awaitGeneration(port, generation);
            assertNotEquals(previous, pid);
            load.awaitServedBy(pid, T);
            previous = pid;
        }
        HttpLoad.Result result = load.stop();
        assertEquals(0, result.failed(), "no request failed over " + reloads + " reloads: " + result);
        assertEquals(reloads + 1, result.pids().size(), "every generation served the load: " + result);
        assertTrue(result.total() > 200, "the load kept asking: " + result);
        assertEquals("0", systemd.show(UNIT, "NRestarts"));
    }

    /** Waits until a new connection is answered by {@code generation}; returns its pid. */
    private static long awaitGeneration(int port, int generation) throws Exception {
        long end = System.nanoTime() + T.toNanos();
        while (true) {
            Matcher m = hello(port);
            if (m.group(2).equals(String.valueOf(generation))) {
                return Long.parseLong(m.group(1));
            }
            assertTrue(System.nanoTime() < end, "generation " + generation + " never answered: " + m.group());
            DewyContainer.sleep(20);
        }
    }

    @Test
    void dewyPingsSystemdsWatchdogAndAStoppedDewyIsKilledAndRestartedByIt() throws Exception {
        int port = install("WatchdogSec=2s\n");
        systemd.systemctl("start", UNIT);
        String main = systemd.show(UNIT, "MainPID");
        String firstPing = systemd.show(UNIT, "WatchdogTimestampMonotonic");
        DewyContainer.sleep(7_000); // three and a half watchdog periods
        assertEquals("active", systemd.show(UNIT, "ActiveState"), journal(UNIT));
        assertEquals(main, systemd.show(UNIT, "MainPID"));
        assertEquals("0", systemd.show(UNIT, "NRestarts"), "the watchdog never fired");
        assertTrue(Long.parseLong(systemd.show(UNIT, "WatchdogTimestampMonotonic")) > Long.parseLong(firstPing),
                "systemd recorded later pings from dewy");

        systemd.systemctl("kill", "--kill-whom=main", "--signal=SIGSTOP", UNIT); // dewy's loop stops, and its pings
        DewyContainer.await("systemd to restart the unit", T, () -> systemd.show(UNIT, "NRestarts").equals("1")
                && systemd.show(UNIT, "ActiveState").equals("active"));
        String journal = systemd.awaitJournal(UNIT, since, "hello.service: Failed with result 'watchdog'.");
        assertTrue(journal.contains("hello.service: Watchdog timeout (limit 2s)!"), journal);
        assertTrue(journal.contains("hello.service: Killing process " + main + " (java) with signal SIGABRT."), journal);
        assertNotEquals(main, systemd.show(UNIT, "MainPID"), "a new dewy");
        assertEquals("serving, generation 1", systemd.show(UNIT, "StatusText"));
        assertEquals("1", hello(port).group(2));
    }

    @Test
    void stopWaitsForTheRequestInFlightAndEndsInSuccess() throws Exception {
        stopWithARequestInFlight("");
    }

    /** dewy's STOPPING=1 carries EXTEND_TIMEOUT_USEC= (--drain-delay + --grace-period + 5 s): systemd waits on. */
    @Test
    void aDrainLongerThanTimeoutStopSecIsNotCutShortBySystemd() throws Exception {
        Duration took = stopWithARequestInFlight("TimeoutStopSec=1s\n");
        assertTrue(took.toMillis() > 1500, "longer than TimeoutStopSec=1s: " + took);
    }

    /** Stops the unit while a 3 s request is under way: it completes and the unit ends in success. */
    private Duration stopWithARequestInFlight(String dropIn) throws Exception {
        int port = install(dropIn);
        systemd.systemctl("start", UNIT);
        CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return DockerfileIT.get(port, "/sleep?ms=3000", Duration.ofSeconds(20));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        DewyContainer.sleep(1000);
        Duration took = timed(() -> systemd.systemctl("stop", UNIT));

        assertTrue(inFlight.get(5, TimeUnit.SECONDS).contains("slept=3000"), "the request completed");
        assertTrue(took.toMillis() >= 1500, "systemctl stop waited for the drain: " + took);
        assertEquals("inactive", systemd.show(UNIT, "ActiveState"));
        assertEquals("success", systemd.show(UNIT, "Result"), journal(UNIT));
        assertEquals("143", systemd.show(UNIT, "ExecMainStatus"), journal(UNIT));
        systemd.awaitJournal(UNIT, since, "hello-jetty: generation 1 drained");
        return took;
    }

    /** The Type=notify unit: start waits for READY=1; reload is dewy's USR1 restart, not awaited by systemd. */
    @Test
    void theTypeNotifyUnitStartsOnReadyReloadsByKillAndStopsInSuccess() throws Exception {
        int port = install(NOTIFY_UNIT, "");
        assertEquals("notify", systemd.show(NOTIFY_UNIT, "Type"), "the shipped unit is in effect");
        systemd.systemctl("start", NOTIFY_UNIT);
        assertEquals("serving, generation 1", systemd.show(NOTIFY_UNIT, "StatusText"), journal(NOTIFY_UNIT));
        long startup = startToActiveMs(NOTIFY_UNIT);
        assertTrue(startup > 300, "active only after dewy's READY=1: " + startup + " ms");
        String main = systemd.show(NOTIFY_UNIT, "MainPID");
        long first = Long.parseLong(hello(port).group(1));

        systemd.systemctl("reload", NOTIFY_UNIT); // /bin/kill -USR1 $MAINPID
        long second = awaitGeneration(port, 2);
        assertNotEquals(first, second);
        DewyContainer.await("STATUS= of generation 2", T,
                () -> systemd.show(NOTIFY_UNIT, "StatusText").equals("serving, generation 2"));
        assertEquals(main, systemd.show(NOTIFY_UNIT, "MainPID"), "dewy stays the main process");

        systemd.systemctl("stop", NOTIFY_UNIT);
        assertEquals("success", systemd.show(NOTIFY_UNIT, "Result"), journal(NOTIFY_UNIT));
        assertEquals("143", systemd.show(NOTIFY_UNIT, "ExecMainStatus"));
        systemd.awaitJournal(NOTIFY_UNIT, since, "hello-jetty: generation 2 drained");
    }

    /**
     * Issue 11: the Jetty example as a Type=notify service of its own, no dewy. Its socket comes from a socket unit
     * on 127.0.0.1 as fd 0 (inetd style, what System.inheritedChannel() takes), since on its own the example would
     * bind every address of the host's network.
     */
    @Test
    void dewyAppAloneIsAType_notifyServiceUnderSystemd() throws Exception {
        int port = DockerfileIT.freePort();
        systemd.write("/etc/systemd/system/hello-app.socket", "[Socket]\nListenStream=127.0.0.1:" + port + "\n", 0644);
        systemd.install("/etc/systemd/system/hello-app.service", """
                [Service]
                Type=notify
                ExecStart=/usr/bin/java -jar /opt/hello/hello-jetty.jar
                StandardInput=socket
                StandardOutput=journal
                StandardError=journal
                SuccessExitStatus=143
                User=hello
                """);
        assertTrue(systemd.ok("cat", "/opt/java/openjdk/release").contains("JAVA_VERSION=\"17."), "JDK 17");
        systemd.systemctl("start", "hello-app.socket");
        systemd.systemctl("start", "hello-app.service");

        assertEquals("active", systemd.show("hello-app.service", "ActiveState"), journal("hello-app.service"));
        long startup = startToActiveMs("hello-app.service");
        assertTrue(startup > 200, "active only once Jetty had started and said READY=1: " + startup + " ms");
        DewyContainer.await("STATUS=serving", Duration.ofSeconds(10),
                () -> systemd.show("hello-app.service", "StatusText").equals("serving"));
        // The socket unit's socket as fd 0, and systemd's own notify socket (no dewy in between).
        systemd.awaitJournal("hello-app.service", since, "hello-jetty: generation 0 serving on fd 0 (/127.0.0.1:"
                + port + "), sd_notify to /run/systemd/notify (jnr-ffi)");
        assertEquals("0", hello(port).group(2));

        systemd.systemctl("stop", "hello-app.service");
        assertEquals("inactive", systemd.show("hello-app.service", "ActiveState"));
        assertEquals("success", systemd.show("hello-app.service", "Result"), journal("hello-app.service"));
        assertEquals("143", systemd.show("hello-app.service", "ExecMainStatus"), "the JVM's exit on TERM");
        systemd.awaitJournal("hello-app.service", since, "hello-jetty: generation 0 drained");
    }
}
