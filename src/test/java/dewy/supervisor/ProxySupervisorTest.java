package dewy.supervisor;

import static dewy.posix.Signals.SIGTERM;
import static dewy.posix.Signals.SIGUSR1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.Config;
import dewy.cli.RestartPolicy;
import dewy.posix.SignalInfo;
import dewy.posix.WaitStatus;
import dewy.starter.ListenSpec;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@code dewy server --proxy}, on the fake process table and clock: each generation gets a port of its own in PORT,
 * its HTTP check decides when it is ready, and the loop publishes the newest ready generation's port to the proxy
 * before the older generation hears the restart signal.
 */
class ProxySupervisorTest {
    private final FakeProcesses procs = new FakeProcesses();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    /** What the proxy was told, and the signals, in one order. */
    private final List<String> events = new ArrayList<>();

    private Supervisor start() {
        Config config = Config.builder(List.of("/app")).gracePeriod(Duration.ofSeconds(10))
                .readyTimeout(Duration.ofSeconds(20)).readiness(Readiness.http("/health"))
                .proxy(ListenSpec.parse("127.0.0.1:8080"))
                .restart(new RestartPolicy(RestartPolicy.Mode.ON_FAILURE, Duration.ofSeconds(1), 3,
                        Duration.ofMinutes(1))).build();
        Supervisor s = new Supervisor(config, new Starter(List.of(), List.of("PATH=/bin"), null), procs, now::get, 1,
                Lifecycle.NONE, null);
        s.backends(ports -> events.add("publish " + ports + " after " + procs.sent.size() + " signals"));
        s.start();
        s.handle(null);
        return s;
    }

    private static SignalInfo signal(int signal) {
        return new SignalInfo(signal, SignalInfo.SI_USER, 0);
    }

    private static String env(Generation g, FakeProcesses procs, String name) {
        for (String e : procs.launches.get(g.number - 1).env()) {
            if (e.startsWith(name + "=")) {
                return e.substring(name.length() + 1);
            }
        }
        return null;
    }

    @Test
    void eachGenerationGetsItsOwnPortAndIsReadyWhenItsCheckPasses() {
        Supervisor s = start();
        Generation first = s.generationsForTest().get(0);
        assertEquals("20000", env(first, procs, "PORT"));
        assertEquals("20000", env(first, procs, "DEWY_PORT"));
        assertEquals("20000 /health", procs.healthChecks.get(1), "the check asks the generation's own port");
        assertTrue(first.starting());
        assertEquals(List.of(), events, "nothing to forward to before it is ready");
        s.request(new Request.Healthy(1));
        assertTrue(first.ready());
        assertEquals(List.of("publish [20000] after 0 signals"), events);
        assertFalse(procs.healthChecks.containsKey(1), "the check stops once it passed");

        s.handle(signal(SIGUSR1));
        Generation second = s.generationsForTest().get(1);
        assertEquals("20001", env(second, procs, "PORT"));
        assertEquals("20001 /health", procs.healthChecks.get(2));
        assertTrue(procs.sent.isEmpty(), "the old generation serves until the new one is ready");
        s.request(new Request.Healthy(2));
        assertEquals(List.of("publish [20000] after 0 signals", "publish [20001] after 0 signals"), events,
                "the proxy switches before the old generation is told to stop");
        assertEquals(List.of(new FakeProcesses.Sent(Integer.toString(first.pid), SIGTERM),
                new FakeProcesses.Sent(Integer.toString(first.pid), dewy.posix.Signals.SIGCONT)), procs.sent);
    }

    @Test
    void aGenerationThatNeverPassesItsCheckIsStoppedAndTheProxyKeepsTheOldOne() {
        Supervisor s = start();
        s.request(new Request.Healthy(1));
        s.handle(signal(SIGUSR1));
        Generation second = s.generationsForTest().get(1);
        now.addAndGet(Duration.ofSeconds(21).toNanos());
        s.handle(null);
        assertFalse(procs.healthChecks.containsKey(2), "no check left running");
        assertEquals(List.of("publish [20000] after 0 signals"), events, "the proxy never switched");
        assertTrue(procs.sentTo(Integer.toString(second.pid)).stream().anyMatch(x -> x.signal() == SIGTERM));
        s.request(new Request.Healthy(2)); // a late pass of a generation that timed out changes nothing
        assertEquals(1, events.size());
        assertTrue(s.generationsForTest().get(0).ready());
    }

    @Test
    void whenTheServingGenerationCrashesTheProxyHasNothingUntilTheRestartIsReady() {
        Supervisor s = start();
        s.request(new Request.Healthy(1));
        Generation first = s.generationsForTest().get(0);
        procs.exit(first.pid, WaitStatus.ofExit(1));
        procs.groups.remove(first.pid);
        s.handle(signal(17));
        assertEquals("publish [] after 0 signals", events.get(events.size() - 1), "clients wait, not reset");
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        s.handle(null);
        assertEquals(2, procs.spawned.size(), "the crash restart after its backoff");
        s.request(new Request.Healthy(2));
        assertEquals("publish [20001] after 0 signals", events.get(events.size() - 1));
    }

    @Test
    void theDrainTakesTheBackendAway() {
        Supervisor s = start();
        s.request(new Request.Healthy(1));
        s.handle(signal(SIGTERM));
        assertTrue(events.get(events.size() - 1).startsWith("publish []"),
                "no new connection goes to a stopping generation: " + events);
    }
}
