package dewy.supervisor;

import static dewy.posix.Signals.SIGTERM;
import static dewy.posix.Signals.SIGUSR1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.Config;
import dewy.posix.SignalInfo;
import dewy.posix.WaitStatus;
import dewy.starter.ListenSpec;
import dewy.starter.Listener;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What the loop publishes for systemd's notify-reload and watchdog: a USR1 reload begins at the signal's monotonic
 * time and ends when its generation is ready or it fails; USR1s during one belong to it; the watchdog pings come
 * from the loop's turns at their interval.
 */
class ReloadStatusTest {
    private static final Starter SOCKETS = new Starter(
            List.of(new Listener(ListenSpec.parse("127.0.0.1:8080"), 10, 3, 8080)), List.of("PATH=/bin"), "/bin/sh");

    private final FakeProcesses procs = new FakeProcesses();
    private final AtomicLong now = new AtomicLong(7_000_000_000L);
    private final List<Status> statuses = new ArrayList<>();

    private Supervisor serving() {
        return serving(SOCKETS, Config.builder(List.of("/app")).readiness(Readiness.notifySocket())
                .readyTimeout(Duration.ofSeconds(20)).build());
    }

    /** Generation 1 ready. */
    private Supervisor serving(Starter starter, Config config) {
        Supervisor s = new Supervisor(config, starter, procs, now::get, 1, Lifecycle.NONE, statuses::add);
        s.start();
        s.handle(null);
        s.notified(procs.send(1, "READY=1"));
        return s;
    }

    private static SignalInfo signal(int signal) {
        return new SignalInfo(signal, SignalInfo.SI_USER, 0);
    }

    private Status.Reload reload() {
        return statuses.get(statuses.size() - 1).reload();
    }

    @Test
    void aReloadRunsFromTheUsr1ToTheNewGenerationsReadiness() {
        Supervisor s = serving();
        assertEquals(Status.Reload.NONE, reload());
        s.handle(signal(SIGUSR1));
        assertEquals(new Status.Reload(1, true, 7_000_000, null), reload(), "begun at the signal, in µs");
        now.addAndGet(1_000_000_000L);
        s.handle(signal(SIGUSR1)); // during the first: the same reload for systemd
        assertEquals(1, reload().begun());
        s.notified(procs.send(2, "READY=1"));
        assertTrue(reload().underWay(), "the queued USR1 is still to run");
        s.notified(procs.send(3, "READY=1"));
        assertEquals(new Status.Reload(1, false, 7_000_000, null), reload());

        now.addAndGet(1_000_000_000L);
        s.handle(signal(SIGUSR1));
        assertEquals(new Status.Reload(2, true, 9_000_000, null), reload());
        procs.exit(procs.spawned.get(procs.spawned.size() - 1), WaitStatus.ofExit(3));
        s.handle(signal(17));
        assertFalse(reload().underWay());
        assertEquals("exited before it was ready (exited with 3)", reload().failure());
        assertEquals(3, statuses.get(statuses.size() - 1).current(), "the old generation serves on");
    }

    @Test
    void aReloadAbandonedByTheDrainEnds() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGTERM));
        assertFalse(reload().underWay());
        assertEquals("dewy is stopping", reload().failure());
        s.handle(signal(SIGUSR1));
        assertEquals(1, reload().begun(), "no reload during the drain");
    }

    private Supervisor relaying(long usec) {
        Starter starter = new Starter(List.of(new Listener(ListenSpec.parse("127.0.0.1:8080"), 10, 3, 8080)),
                List.of("PATH=/bin"), "/bin/sh");
        starter.relayWatchdog(usec);
        return serving(starter, Config.builder(List.of("/app")).readiness(Readiness.notifySocket())
                .gracePeriod(Duration.ofSeconds(10)).build());
    }

    private void later(Supervisor s, Duration d) {
        now.addAndGet(d.toNanos());
        s.handle(null);
    }

    @Test
    void aGenerationThatNeverPingsIsNeverJudged() {
        Supervisor s = relaying(2_000_000);
        later(s, Duration.ofSeconds(30));
        assertEquals(List.of(), procs.sent);
        assertEquals(List.of(100), procs.spawned);
    }

    @Test
    void aGenerationThatStopsPingingGetsSigabrtAndIsReplacedAsACrash() {
        Supervisor s = relaying(2_000_000);
        s.notified(procs.send(1, "WATCHDOG=1"));
        for (int i = 0; i < 5; i++) {
            later(s, Duration.ofMillis(1500));
            s.notified(procs.send(1, "WATCHDOG=1"));
        }
        assertEquals(List.of(), procs.sent, "pinging in time");
        later(s, Duration.ofMillis(1999));
        assertEquals(List.of(), procs.sent);
        later(s, Duration.ofMillis(2));
        assertEquals(List.of(new FakeProcesses.Sent("100", dewy.posix.Signals.SIGABRT),
                new FakeProcesses.Sent("100", dewy.posix.Signals.SIGCONT)), procs.sent, "systemd's WatchdogSignal");
        later(s, Duration.ofSeconds(1));
        assertEquals(List.of(100, 101), procs.spawned, "a new generation after the crash backoff, beside the hung one");
        s.notified(procs.send(2, "READY=1"));
        later(s, Duration.ofSeconds(10));
        assertTrue(procs.sent.contains(new FakeProcesses.Sent("-100", dewy.posix.Signals.SIGKILL)),
                "SIGKILL after the grace period: " + procs.sent);
    }

    @Test
    void watchdogTriggerIsAHangAtOnce() {
        Supervisor s = relaying(60_000_000);
        s.notified(procs.send(1, "WATCHDOG=1"));
        s.notified(procs.send(1, "WATCHDOG=trigger"));
        assertEquals(new FakeProcesses.Sent("100", dewy.posix.Signals.SIGABRT), procs.sent.get(0));
    }

    @Test
    void theWatchdogPingsFromTheLoopAtItsInterval() {
        Supervisor s = serving();
        List<Long> pings = new ArrayList<>();
        s.watchdog(Duration.ofSeconds(5), () -> pings.add(now.get()));
        assertEquals(0, s.waitNanos(), "the first ping is due at once");
        s.handle(null);
        assertEquals(List.of(7_000_000_000L), pings);
        assertEquals(Duration.ofSeconds(5).toNanos(), s.waitNanos(), "the loop wakes for the next one");
        now.addAndGet(Duration.ofSeconds(4).toNanos());
        s.handle(null);
        assertEquals(1, pings.size());
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        s.handle(signal(17));
        assertEquals(2, pings.size(), "any event of the loop's can carry it");
    }
}
