package dewy.supervisor;

import static dewy.posix.Signals.SIGCONT;
import static dewy.posix.Signals.SIGHUP;
import static dewy.posix.Signals.SIGINT;
import static dewy.posix.Signals.SIGKILL;
import static dewy.posix.Signals.SIGPIPE;
import static dewy.posix.Signals.SIGQUIT;
import static dewy.posix.Signals.SIGTERM;
import static dewy.posix.Signals.SIGTSTP;
import static dewy.posix.Signals.SIGUSR1;
import static dewy.posix.Signals.SIGUSR2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.Config;
import dewy.log.Log;
import dewy.posix.Posix;
import dewy.posix.SignalInfo;
import dewy.posix.SpawnException;
import dewy.posix.WaitStatus;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The supervisor's decisions, on a fake process table and a fake clock. */
class SupervisorTest {
    private static final long GRACE = Duration.ofSeconds(10).toNanos();
    private static final Starter NO_SOCKETS = new Starter(List.of(), List.of("PATH=/bin"), null);

    private final FakeProcesses procs = new FakeProcesses();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<String> events = new ArrayList<>();

    private Supervisor supervisor(int stopSignal, int selfPid) {
        Config config = Config.builder(List.of("/app")).gracePeriod(Duration.ofNanos(GRACE)).stopSignal(stopSignal)
                .readiness(Readiness.delay(Duration.ZERO)).build();
        Supervisor s = new Supervisor(config, NO_SOCKETS, procs, now::get, selfPid,
                drainHook(() -> events.add("hook:" + procs.sent.size())), st -> { });
        s.start();
        s.handle(null);
        return s;
    }

    private Supervisor started() {
        return supervisor(SIGTERM, 1);
    }

    private static SignalInfo from(int signal, int sender) {
        return new SignalInfo(signal, SignalInfo.SI_USER, sender);
    }

    private static SignalInfo signal(int signal) {
        return from(signal, 0);
    }

    private void later(Supervisor s, Duration d) {
        now.addAndGet(d.toNanos());
        s.handle(null);
    }

    /** The child exits and its process group empties, as when the application ends with nothing left behind. */
    private void ends(Supervisor s, int pid, int status) {
        procs.exit(pid, status);
        procs.groups.remove(pid);
        s.handle(signal(17));
    }

    @Test
    void exitCodeOfTheApplicationIsDewysStatus() {
        Supervisor s = started();
        ends(s, 100, WaitStatus.ofExit(7));
        assertTrue(s.done());
        assertEquals(7, s.exitStatus());
    }

    @Test
    void applicationKilledBySignalGives128PlusSignal() {
        Supervisor s = started();
        ends(s, 100, WaitStatus.ofSignal(SIGQUIT));
        assertTrue(s.done());
        assertEquals(131, s.exitStatus());
    }

    @Test
    void commandThatCannotStartEndsWithItsCode() {
        procs.spawnFailure = new SpawnException("/nope", Posix.ENOENT, "no such file or directory");
        Supervisor s = started();
        assertTrue(s.done());
        assertEquals(127, s.exitStatus());
    }

    @Test
    void forwardsOtherSignalsToTheApplicationGroupAndKeepsRunning() {
        Supervisor s = started();
        s.handle(signal(SIGHUP));
        s.handle(signal(SIGUSR2));
        s.handle(signal(37));
        assertEquals(List.of(new FakeProcesses.Sent("100", SIGHUP), new FakeProcesses.Sent("100", SIGUSR2),
                new FakeProcesses.Sent("100", 37)), procs.sent);
        assertFalse(s.done());
        assertEquals(-1, s.waitNanos(), "no deadline while simply running: the loop must not poll");
    }

    @Test
    void restartStopsTheOldGenerationThenStartsTheNext() {
        Supervisor s = started();
        s.handle(signal(SIGUSR1));
        assertEquals(List.of(new FakeProcesses.Sent("100", SIGTERM), new FakeProcesses.Sent("100", SIGCONT)), procs.sent);
        assertEquals(List.of(100), procs.spawned, "nothing new before the old generation is gone");
        assertEquals(GRACE, s.waitNanos());

        ends(s, 100, WaitStatus.ofSignal(SIGTERM));
        assertEquals(List.of(100, 101), procs.spawned);
        assertFalse(s.done());
        assertEquals(-1, s.waitNanos());
    }

    @Test
    void restartWaitsUntilTheOldProcessGroupIsEmpty() {
        Supervisor s = started();
        s.handle(signal(SIGUSR1));
        procs.exit(100, WaitStatus.ofExit(0)); // the leader exits, a member of its group lingers
        s.handle(signal(17));
        assertEquals(List.of(100), procs.spawned);
        assertTrue(s.waitNanos() <= Supervisor.GROUP_RECHECK.toNanos(), "must look again soon");

        procs.groups.remove(100);
        later(s, Supervisor.GROUP_RECHECK);
        assertEquals(List.of(100, 101), procs.spawned);
    }

    @Test
    void restartKillsAGenerationThatOutlivesTheGracePeriod() {
        Supervisor s = started();
        s.handle(signal(SIGUSR1));
        later(s, Duration.ofNanos(GRACE - 1));
        assertTrue(procs.sent.stream().noneMatch(x -> x.signal() == SIGKILL), "no KILL before the grace period ends");
        later(s, Duration.ofNanos(1));
        assertEquals(new FakeProcesses.Sent("-100", SIGKILL), procs.sent.get(procs.sent.size() - 1));
        ends(s, 100, WaitStatus.ofSignal(SIGKILL));
        assertEquals(List.of(100, 101), procs.spawned);
    }

    @Test
    void usr1BeforeTheNewGenerationSpawnsJoinsTheRestart() {
        Supervisor s = started();
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGUSR1));
        ends(s, 100, WaitStatus.ofSignal(SIGTERM));
        assertEquals(List.of(100, 101), procs.spawned, "one new generation, started after every USR1, serves them all");
        assertEquals(-1, s.waitNanos(), "and nothing else is queued");
        assertEquals(2, procs.sent.size());
    }

    @Test
    void usr1AfterTheNewGenerationSpawnedQueuesExactlyOneMore() {
        Config config = Config.builder(List.of("/app")).gracePeriod(Duration.ofNanos(GRACE))
                .readiness(Readiness.delay(Duration.ofSeconds(1))).build();
        Supervisor s = new Supervisor(config, NO_SOCKETS, procs, now::get, 1, Lifecycle.NONE, null);
        s.start();
        later(s, Duration.ofSeconds(1));
        s.handle(signal(SIGUSR1));
        ends(s, 100, WaitStatus.ofSignal(SIGTERM));
        assertEquals(List.of(100, 101), procs.spawned);
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGUSR1));
        assertTrue(procs.sentTo("101").isEmpty(), "generation 2 is not stopped before it is ready");
        later(s, Duration.ofSeconds(1));
        assertEquals(List.of(new FakeProcesses.Sent("101", SIGTERM), new FakeProcesses.Sent("101", SIGCONT)),
                procs.sentTo("101"), "once it is ready, the queued restart runs");
        ends(s, 101, WaitStatus.ofSignal(SIGTERM));
        later(s, Duration.ofSeconds(1));
        assertEquals(List.of(100, 101, 102), procs.spawned, "exactly one more, not three");
        assertEquals(-1, s.waitNanos(), "and nothing else is queued");
    }

    @Test
    void restartIsRefusedWhileTheOldGenerationRunsWhenTheCommandIsGone() {
        Supervisor s = started();
        procs.notRunnable = new SpawnException("/app", Posix.ENOENT, "no such file or directory");
        s.handle(signal(SIGUSR1));
        assertTrue(procs.sent.isEmpty(), "the running generation must not be stopped");
        assertFalse(s.done());
        procs.notRunnable = null;
        s.handle(signal(SIGUSR1));
        assertEquals(new FakeProcesses.Sent("100", SIGTERM), procs.sent.get(0));
    }

    @Test
    void failedSpawnDuringRestartIsRetriedWithTheCrashBackoffThenEndsWithItsCode() {
        Supervisor s = started();
        s.handle(signal(SIGUSR1));
        procs.spawnFailure = new SpawnException("/app", Posix.EACCES, "permission denied");
        ends(s, 100, WaitStatus.ofSignal(SIGTERM));
        assertFalse(s.done(), "no application, but a start on its way: --restart never is about exits, not spawns");
        for (int i = 0; i < 100 && !s.done(); i++) {
            assertTrue(s.applicationOrPendingStart(), "never alive with no application and nothing on its way");
            later(s, Duration.ofSeconds(1));
        }
        assertTrue(s.done());
        assertEquals(7, procs.spawnAttempts, "the start, the restart, then --max-restarts 5 retries within the window");
        assertEquals(126, s.exitStatus());
    }

    @Test
    void aSpawnThatFailsForAnotherReasonIsRetriedAndAnOpenNotifySocketIsClosed() {
        Config config = Config.builder(List.of("/app")).gracePeriod(Duration.ofNanos(GRACE))
                .readiness(Readiness.notifySocket()).build();
        procs.spawnFailure = SpawnException.system("posix_spawn", "too many open files");
        Supervisor s = new Supervisor(config, NO_SOCKETS, procs, now::get, 1, Lifecycle.NONE, null);
        s.start();
        assertFalse(s.done(), "EMFILE may pass: retried, not given up");
        assertTrue(procs.notifyOpen.isEmpty(), "the failed spawn's NOTIFY_SOCKET is closed");
        procs.spawnFailure = null;
        later(s, Duration.ofSeconds(1));
        assertEquals(List.of(100), procs.spawned);
        assertEquals(1, procs.notifyOpen.size());
    }

    @Test
    void drainRunsHooksFirstThenStopsTheGroupAndExitsWithTheApplicationsStatus() {
        for (int drainSignal : new int[] {SIGTERM, SIGINT, SIGQUIT}) {
            procs.sent.clear();
            events.clear();
            FakeProcesses fresh = new FakeProcesses();
            Supervisor s = new Supervisor(Config.builder(List.of("/app")).gracePeriod(Duration.ofNanos(GRACE)).build(),
                    NO_SOCKETS, fresh, now::get, 1, drainHook(() -> events.add("hook:" + fresh.sent.size())), st -> { });
            s.start();
            s.handle(signal(drainSignal));
            assertEquals(List.of("hook:0"), events, "hooks run before any signal is sent");
            assertEquals(List.of(new FakeProcesses.Sent("100", SIGTERM), new FakeProcesses.Sent("100", SIGCONT)),
                    fresh.sent, "the stop signal, whichever signal started the drain");
            fresh.exit(100, WaitStatus.ofExit(42));
            s.handle(signal(17));
            assertTrue(s.done());
            assertEquals(42, s.exitStatus());
        }
    }

    @Test
    void drainUsesTheConfiguredStopSignal() {
        Supervisor s = supervisor(SIGINT, 1);
        s.handle(signal(SIGTERM));
        assertEquals(List.of(new FakeProcesses.Sent("100", SIGINT), new FakeProcesses.Sent("100", SIGCONT)), procs.sent);
    }

    @Test
    void drainKillsEverythingWhenTheGracePeriodEnds() {
        Supervisor s = started();
        s.handle(signal(SIGTERM));
        later(s, Duration.ofNanos(GRACE - 1));
        assertEquals(2, procs.sent.size());
        later(s, Duration.ofNanos(1));
        assertEquals(List.of(new FakeProcesses.Sent("-100", SIGKILL), new FakeProcesses.Sent("descendants", SIGKILL)),
                procs.sent.subList(2, 4));
        assertFalse(s.done(), "waits to reap what it killed");
        ends(s, 100, WaitStatus.ofSignal(SIGKILL));
        assertTrue(s.done());
        assertEquals(137, s.exitStatus());
    }

    @Test
    void secondDrainSignalDoesNotResendOrRestartTheClock() {
        Supervisor s = started();
        s.handle(signal(SIGTERM));
        later(s, Duration.ofSeconds(3));
        s.handle(signal(SIGINT));
        s.handle(signal(SIGUSR1));
        assertEquals(2, procs.sent.size());
        assertEquals(GRACE - Duration.ofSeconds(3).toNanos(), s.waitNanos());
        assertEquals(List.of(100), procs.spawned);
    }

    @Test
    void leftoverDescendantsGetTheStopSignalAndTheGracePeriodAfterTheApplicationExits() {
        Supervisor s = started();
        procs.adoptOrphan();
        procs.exit(100, WaitStatus.ofExit(5));
        s.handle(signal(17));
        assertFalse(s.done());
        assertEquals(List.of(new FakeProcesses.Sent("-100", SIGTERM), new FakeProcesses.Sent("-100", SIGCONT),
                        new FakeProcesses.Sent("descendants", SIGTERM), new FakeProcesses.Sent("descendants", SIGCONT)),
                procs.sent, "its group first, then every other descendant");
        assertEquals(GRACE, s.waitNanos());
        later(s, Duration.ofNanos(GRACE));
        assertEquals(new FakeProcesses.Sent("descendants", SIGKILL), procs.sent.get(procs.sent.size() - 1));
        procs.exit(101, WaitStatus.ofSignal(SIGKILL));
        s.handle(signal(17));
        assertTrue(s.done());
        assertEquals(5, s.exitStatus(), "the application's status, not the orphan's");
    }

    @Test
    void drainDuringARestartStartsNoNewGeneration() {
        Supervisor s = started();
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGTERM));
        ends(s, 100, WaitStatus.ofSignal(SIGTERM));
        assertTrue(s.done());
        assertEquals(List.of(100), procs.spawned);
        assertEquals(143, s.exitStatus());
    }

    @Test
    void giveUpOnProcessesThatSurviveSigkill() {
        Supervisor s = started();
        s.handle(signal(SIGTERM));
        later(s, Duration.ofNanos(GRACE));
        later(s, Stopper.KILL_WAIT);
        assertTrue(s.done());
        assertEquals(137, s.exitStatus());
    }

    @Test
    void jobControlStopsDewyOnlyWhenItIsNotPid1() {
        Supervisor asInit = started();
        asInit.handle(signal(SIGTSTP));
        assertEquals(0, procs.stopSelfCalls);
        assertEquals(new FakeProcesses.Sent("100", SIGTSTP), procs.sent.get(0));

        FakeProcesses other = new FakeProcesses();
        Supervisor subreaper = new Supervisor(Config.builder(List.of("/app")).gracePeriod(Duration.ofNanos(GRACE))
                .build(), NO_SOCKETS, other, now::get, 4242, Lifecycle.NONE, st -> { });
        subreaper.start();
        subreaper.handle(signal(SIGTSTP));
        assertEquals(1, other.stopSelfCalls);
        assertEquals(new FakeProcesses.Sent("100", SIGTSTP), other.sent.get(0), "forwarded before stopping");
    }

    @Test
    void pipeTheKernelRaisedForDewysOwnWritesIsNotForwarded() {
        Supervisor s = supervisor(SIGTERM, 1);
        s.handle(new SignalInfo(SIGPIPE, SignalInfo.SI_USER, 1));
        s.handle(new SignalInfo(SIGPIPE, SignalInfo.SI_KERNEL, 0));
        assertTrue(procs.sent.isEmpty());
        s.handle(from(SIGPIPE, 0));
        assertEquals(List.of(new FakeProcesses.Sent("100", SIGPIPE)), procs.sent, "a PIPE someone else sent is forwarded");
    }

    @Test
    void orphansAreReapedWithoutDisturbingTheApplication() {
        Supervisor s = started();
        for (int i = 0; i < 1000; i++) {
            procs.exit(procs.adoptOrphan(), WaitStatus.ofExit(0));
        }
        s.handle(signal(17));
        assertFalse(s.done());
        assertEquals(List.of(100), new ArrayList<>(procs.children));
        assertTrue(procs.sent.isEmpty());
    }

    static Lifecycle drainHook(Runnable hook) {
        return new Lifecycle() {
            @Override
            public void draining(String signal) {
                hook.run();
            }
        };
    }
}
