package dewy.supervisor;

import static dewy.posix.Signals.SIGCONT;
import static dewy.posix.Signals.SIGHUP;
import static dewy.posix.Signals.SIGINT;
import static dewy.posix.Signals.SIGKILL;
import static dewy.posix.Signals.SIGQUIT;
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
import dewy.starter.Listener;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Restarts with sockets, readiness, crash policy and drain delay, on a fake process table and a fake clock. */
class ZeroDowntimeSupervisorTest {
    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    private static final Starter SOCKETS = new Starter(
            List.of(new Listener(ListenSpec.parse("127.0.0.1:8080"), 10, 3, 8080)), List.of("PATH=/bin"), "/bin/sh");

    private final FakeProcesses procs = new FakeProcesses();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<Status> published = new ArrayList<>();

    private Config.Builder config() {
        return Config.builder(List.of("/app")).gracePeriod(GRACE).readyTimeout(READY_TIMEOUT)
                .readiness(Readiness.notifySocket())
                .restart(new RestartPolicy(RestartPolicy.Mode.ON_FAILURE, Duration.ofSeconds(1), 3,
                        Duration.ofMinutes(1)));
    }

    private Supervisor start(Config config) {
        Supervisor s = new Supervisor(config, SOCKETS, procs, new Clock() {
            @Override
            public long nanoTime() {
                return now.get();
            }

            @Override
            public long epochMillis() {
                return now.get() / 1_000_000;
            }
        }, 1, Lifecycle.NONE, published::add);
        s.start();
        s.handle(null);
        return s;
    }

    /** Started, generation 1 (pid 100) ready. */
    private Supervisor serving() {
        Supervisor s = start(config().build());
        ready(s, 1);
        assertTrue(last().ready());
        procs.sent.clear();
        return s;
    }

    private void ready(Supervisor s, int generation) {
        s.notified(procs.send(generation, "READY=1\nSTATUS=serving"));
    }

    private static SignalInfo signal(int signal) {
        return new SignalInfo(signal, SignalInfo.SI_USER, 0);
    }

    private void later(Supervisor s, Duration d) {
        now.addAndGet(d.toNanos());
        s.handle(null);
    }

    private void exits(Supervisor s, int pid, int status) {
        procs.exit(pid, status);
        procs.groups.remove(pid);
        s.handle(signal(17));
    }

    private Status last() {
        return published.get(published.size() - 1);
    }

    private static FakeProcesses.Sent sent(int pid, int signal) {
        return new FakeProcesses.Sent(Integer.toString(pid), signal);
    }

    @Test
    void eachGenerationGetsTheSocketsItsNumberAndItsOwnNotifySocket() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        assertEquals(2, procs.launches.size());
        List<String> env = procs.launches.get(1).env();
        assertTrue(env.contains("SERVER_STARTER_PORT=127.0.0.1:8080=3"), env.toString());
        assertTrue(env.contains("SERVER_STARTER_GENERATION=2"), env.toString());
        assertTrue(env.contains("NOTIFY_SOCKET=/tmp/fake/notify-2.sock"), env.toString());
        assertEquals(3, procs.launches.get(1).to()[0]);
        assertEquals(2, s.notifyFds().length, "generation 1 and 2 both have a NOTIFY_SOCKET");
    }

    @Test
    void usr1StartsTheNextGenerationBesideTheOldAndSwapsOnlyWhenItIsReady() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        assertEquals(List.of(100, 101), procs.spawned, "the new one starts at once, beside the old");
        assertTrue(procs.sent.isEmpty(), "the old one is not touched before the new one is ready");
        assertTrue(last().ready(), "generation 1 still serves, so dewy is ready");
        assertEquals(1, last().current());

        later(s, Duration.ofSeconds(5));
        assertTrue(procs.sent.isEmpty(), "still not ready: still no signal");
        ready(s, 2);
        assertEquals(List.of(sent(100, SIGTERM), sent(100, SIGCONT)), procs.sent);
        assertEquals(List.of(1, 2), procs.inspected, "each ready generation is checked for ports of its own");
        assertEquals(2, last().current());
        assertEquals(List.of("stopping", "ready"), last().generations().stream().map(Status.Gen::state).toList());

        exits(s, 100, WaitStatus.ofSignal(SIGTERM));
        assertFalse(s.done());
        assertEquals(List.of(101), last().generations().stream().map(Status.Gen::pid).toList());
        assertEquals(1, last().restarts());
    }

    @Test
    void restartSignalIsWhatTheOldGenerationGets() {
        Supervisor s = start(config().restartSignal(SIGQUIT).build());
        ready(s, 1);
        procs.sent.clear();
        s.handle(signal(SIGUSR1));
        ready(s, 2);
        assertEquals(List.of(sent(100, SIGQUIT), sent(100, SIGCONT)), procs.sent);
    }

    @Test
    void oldGenerationIsKilledWhenItOutlivesTheGracePeriod() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        ready(s, 2);
        later(s, GRACE.minusNanos(1));
        assertEquals(2, procs.sent.size());
        later(s, Duration.ofNanos(1));
        assertEquals(new FakeProcesses.Sent("-100", SIGKILL), procs.sent.get(2));
    }

    @Test
    void newGenerationThatCrashesLeavesTheOldServing() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        exits(s, 101, WaitStatus.ofExit(3));
        assertTrue(procs.sentTo("100").isEmpty(), "the old generation is never signalled");
        assertFalse(s.done());
        assertTrue(last().ready());
        assertEquals(1, last().current());
        assertEquals(0, last().crashRestarts(), "a failed restart is not a crash of the service");

        s.handle(signal(SIGUSR1));
        assertEquals(List.of(100, 101, 102), procs.spawned, "the next USR1 tries again");
    }

    @Test
    void newGenerationNeverReadyIsStoppedAndTheOldKeepsServing() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        later(s, READY_TIMEOUT.minusNanos(1));
        assertTrue(procs.sent.isEmpty());
        later(s, Duration.ofNanos(1));
        assertEquals(List.of(sent(101, SIGTERM), sent(101, SIGCONT)), procs.sent);
        later(s, GRACE);
        assertEquals(new FakeProcesses.Sent("-101", SIGKILL), procs.sent.get(2));
        exits(s, 101, WaitStatus.ofSignal(SIGKILL));
        assertTrue(procs.sentTo("100").isEmpty());
        assertTrue(last().ready());
        assertFalse(s.done());
    }

    @Test
    void readyAfterTheDeadlineIsTooLate() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        later(s, READY_TIMEOUT);
        ready(s, 2);
        assertTrue(procs.sentTo("100").isEmpty(), "a generation being stopped cannot take over");
    }

    @Test
    void usr1DuringARestartQueuesOneMoreThatStartsWhenTheNewOneIsReady() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGUSR1));
        assertEquals(List.of(100, 101), procs.spawned);
        ready(s, 2);
        assertEquals(List.of(100, 101, 102), procs.spawned, "the queued restart");
        ready(s, 3);
        assertEquals(List.of(sent(100, SIGTERM), sent(100, SIGCONT), sent(101, SIGTERM), sent(101, SIGCONT)),
                procs.sent);
        assertEquals(List.of(100, 101, 102), procs.spawned, "and only one was queued");
    }

    @Test
    void hupReachesEveryLiveGeneration() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGHUP));
        assertEquals(List.of(sent(100, SIGHUP), sent(101, SIGHUP)), procs.sent);
        ready(s, 2);
        procs.sent.clear();
        s.handle(signal(SIGHUP));
        assertEquals(List.of(sent(100, SIGHUP), sent(101, SIGHUP)), procs.sent, "the draining one too, until it is gone");
    }

    @Test
    void drainStopsEveryGenerationAndExitsWithTheNewestStatus() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGINT));
        assertEquals(List.of(sent(100, SIGTERM), sent(100, SIGCONT), sent(101, SIGTERM), sent(101, SIGCONT)),
                procs.sent);
        assertFalse(last().ready());
        exits(s, 101, WaitStatus.ofExit(0));
        exits(s, 100, WaitStatus.ofExit(9));
        assertTrue(s.done());
        assertEquals(0, s.exitStatus(), "the newest generation's status");
    }

    @Test
    void drainDelayKeepsServingWhileReadyzSays503() {
        Supervisor s = start(config().drainDelay(Duration.ofSeconds(5)).build());
        ready(s, 1);
        procs.sent.clear();
        s.handle(signal(SIGTERM));
        assertTrue(procs.sent.isEmpty(), "the application keeps serving during the drain delay");
        assertFalse(last().ready(), "but /readyz says 503 at once");
        assertTrue(last().draining());
        assertTrue(last().alive());
        s.handle(signal(SIGUSR1));
        assertEquals(List.of(100), procs.spawned, "no restart while draining");
        later(s, Duration.ofSeconds(5).minusNanos(1));
        assertTrue(procs.sent.isEmpty());
        later(s, Duration.ofNanos(1));
        assertEquals(List.of(sent(100, SIGTERM), sent(100, SIGCONT)), procs.sent);
        assertEquals(GRACE.toNanos(), s.waitNanos(), "the grace period starts after the delay");
        exits(s, 100, WaitStatus.ofExit(0));
        assertTrue(s.done());
    }

    @Test
    void secondSignalEndsTheDrainDelay() {
        Supervisor s = start(config().drainDelay(Duration.ofSeconds(30)).build());
        ready(s, 1);
        procs.sent.clear();
        s.handle(signal(SIGTERM));
        s.handle(signal(SIGTERM));
        assertEquals(List.of(sent(100, SIGTERM), sent(100, SIGCONT)), procs.sent);
    }

    @Test
    void crashRestartsWithDoublingBackoffThenGivesUpWithTheApplicationsStatus() {
        Supervisor s = serving();
        long[] expected = {1, 2, 4};
        int pid = 100;
        for (long seconds : expected) {
            exits(s, pid, WaitStatus.ofExit(3));
            assertFalse(s.done());
            assertEquals(Duration.ofSeconds(seconds).toNanos(), s.waitNanos(), "backoff after crash " + pid);
            assertFalse(last().alive(), "/healthz says 503 while nothing runs");
            later(s, Duration.ofSeconds(seconds));
            pid++;
            assertEquals(pid, procs.spawned.get(procs.spawned.size() - 1));
            assertTrue(procs.launches.get(procs.launches.size() - 1).env().contains("SERVER_STARTER_GENERATION="
                    + (pid - 99)));
        }
        exits(s, pid, WaitStatus.ofExit(3));
        assertTrue(s.done(), "a fourth crash within the window is one more than --max-restarts 3");
        assertEquals(3, s.exitStatus());
        assertEquals(3, last().crashRestarts());
    }

    @Test
    void backoffResetsAfterAWindowWithoutCrashes() {
        Supervisor s = serving();
        exits(s, 100, WaitStatus.ofExit(1));
        later(s, Duration.ofSeconds(1));
        exits(s, 101, WaitStatus.ofExit(1));
        assertEquals(Duration.ofSeconds(2).toNanos(), s.waitNanos());
        later(s, Duration.ofSeconds(2));
        later(s, Duration.ofMinutes(1));
        exits(s, 102, WaitStatus.ofExit(1));
        assertEquals(Duration.ofSeconds(1).toNanos(), s.waitNanos(), "a stable run resets the backoff");
    }

    @Test
    void onFailureDoesNotRestartACleanExit() {
        Supervisor s = serving();
        exits(s, 100, WaitStatus.ofExit(0));
        assertTrue(s.done());
        assertEquals(0, s.exitStatus());
        assertEquals(List.of(100), procs.spawned);
    }

    @Test
    void alwaysRestartsACleanExitAndNeverRestartsNothing() {
        Supervisor always = start(config().restart(new RestartPolicy(RestartPolicy.Mode.ALWAYS, Duration.ofMillis(100),
                5, Duration.ofMinutes(1))).build());
        exits(always, 100, WaitStatus.ofExit(0));
        later(always, Duration.ofMillis(100));
        assertEquals(List.of(100, 101), procs.spawned);

        FakeProcesses other = new FakeProcesses();
        Supervisor never = new Supervisor(config().restart(new RestartPolicy(RestartPolicy.Mode.NEVER,
                Duration.ofMillis(100), 5, Duration.ofMinutes(1))).build(), SOCKETS, other, now::get, 1, Lifecycle.NONE,
                st -> { });
        never.start();
        other.exit(100, WaitStatus.ofExit(4));
        other.groups.remove(100);
        never.handle(signal(17));
        assertTrue(never.done());
        assertEquals(4, never.exitStatus());
    }

    @Test
    void usr1DuringTheBackoffRestartsAtOnce() {
        Supervisor s = serving();
        exits(s, 100, WaitStatus.ofExit(1));
        s.handle(signal(SIGUSR1));
        assertEquals(List.of(100, 101), procs.spawned);
    }

    @Test
    void drainDuringTheBackoffEndsWithTheCrashStatus() {
        Supervisor s = serving();
        exits(s, 100, WaitStatus.ofExit(6));
        s.handle(signal(SIGTERM));
        assertTrue(s.done());
        assertEquals(6, s.exitStatus());
        assertEquals(List.of(100), procs.spawned);
    }

    @Test
    void delayReadinessCountsAfterTheDelayIfStillAlive() {
        Supervisor s = start(config().readiness(Readiness.delay(Duration.ofSeconds(2))).build());
        assertFalse(last().ready());
        later(s, Duration.ofSeconds(2));
        assertTrue(last().ready());
        s.handle(signal(SIGUSR1));
        later(s, Duration.ofSeconds(1));
        assertTrue(procs.sentTo("100").isEmpty());
        later(s, Duration.ofSeconds(1));
        assertEquals(List.of(sent(100, SIGTERM), sent(100, SIGCONT)), procs.sentTo("100"));
    }

    @Test
    void execReadinessRunsTheCheckUntilItSucceeds() {
        Supervisor s = start(config().readiness(Readiness.exec("curl -f http://127.0.0.1:8080/")).build());
        assertTrue(procs.checks.isEmpty(), "the first check comes after one interval");
        later(s, Readiness.CHECK_INTERVAL);
        assertEquals(1, procs.checks.size());
        int first = procs.checks.keySet().iterator().next();
        assertEquals("curl -f http://127.0.0.1:8080/", procs.checks.get(first));
        exits(s, first, WaitStatus.ofExit(7));
        assertFalse(last().ready());
        later(s, Readiness.CHECK_INTERVAL);
        assertEquals(2, procs.checks.size(), "failed check: another one after the interval");
        int second = new ArrayList<>(procs.checks.keySet()).get(1);
        exits(s, second, WaitStatus.ofExit(0));
        assertTrue(last().ready());
    }

    @Test
    void stoppingAnnouncementTakesTheGenerationOutOfReadiness() {
        Supervisor s = serving();
        s.notified(procs.send(1, "STOPPING=1"));
        assertFalse(last().ready());
        assertEquals("serving", last().generations().get(0).statusText());
    }

    @Test
    void aFailedGenerationWhoseGroupLingersNeverMakesTheLoopSpin() {
        Supervisor s = start(config().gracePeriod(Duration.ofSeconds(60)).build());
        ready(s, 1);
        procs.sent.clear();
        s.handle(signal(SIGUSR1));
        procs.exit(101, WaitStatus.ofExit(3)); // the leader dies before READY=1; a member of its group lives on
        s.handle(signal(17));
        assertEquals(List.of(new FakeProcesses.Sent("-101", SIGTERM), new FakeProcesses.Sent("-101", SIGCONT)), procs.sent,
                "the leftovers get the stop signal, as a group: their leader is gone");
        later(s, READY_TIMEOUT);
        assertEquals(Duration.ofSeconds(40).toNanos(), s.waitNanos(),
                "the next deadline is the group's KILL; a stale readiness deadline would make the loop spin");
        later(s, Duration.ofSeconds(40));
        assertEquals(new FakeProcesses.Sent("-101", SIGKILL), procs.sent.get(2), "the group is killed at the end of the grace period");
        procs.groups.remove(101);
        later(s, Duration.ofMillis(1));
        assertEquals(-1, s.waitNanos(), "gone: nothing left to wait for");
    }

    @Test
    void aGenerationThatSurvivesSigkillIsDroppedWithItsNotifySocketClosed() {
        Supervisor s = serving();
        s.handle(signal(SIGUSR1));
        ready(s, 2); // generation 1 gets TERM
        assertEquals(2, procs.notifyOpen.size());
        later(s, GRACE); // KILL; it never dies (an unkillable D-state process)
        later(s, Stopper.KILL_WAIT);
        assertEquals(1, s.notifyFds().length, "no longer watched");
        assertEquals(1, procs.notifyOpen.size(), "and its NOTIFY_SOCKET closed: no descriptor leaks per restart");
    }
}
