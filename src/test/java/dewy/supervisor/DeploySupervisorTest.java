package dewy.supervisor;

import static dewy.posix.Signals.SIGCONT;
import static dewy.posix.Signals.SIGKILL;
import static dewy.posix.Signals.SIGTERM;
import static dewy.posix.Signals.SIGUSR1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.Config;
import dewy.cli.RestartPolicy;
import dewy.posix.SignalInfo;
import dewy.posix.SpawnException;
import dewy.posix.WaitStatus;
import dewy.starter.ListenSpec;
import dewy.starter.Listener;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Deploy restarts (rollouts), rollbacks, the wait for the first release and deploy hooks, on fake processes. */
class DeploySupervisorTest {
    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    private static final Starter SOCKETS = new Starter(
            List.of(new Listener(ListenSpec.parse("127.0.0.1:8080"), 10, 3, 8080)), List.of("PATH=/bin"), "/bin/sh");
    private static final Starter NO_SOCKETS = new Starter(List.of(), List.of("PATH=/bin"), null);

    private final FakeProcesses procs = new FakeProcesses();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    /** What the supervisor told the rest of dewy, in order; rollbacks too. */
    private final List<String> events = new ArrayList<>();

    private final Lifecycle lifecycle = new Lifecycle() {
        @Override
        public void draining(String signal) {
            events.add("draining " + signal + " after " + procs.sent.size() + " signals");
        }

        @Override
        public void serving(int generation, int pid, String reason, boolean first) {
            events.add("serving " + generation + " " + reason + (first ? " first" : ""));
        }

        @Override
        public void restartFailed(String reason, String why) {
            events.add("failed " + reason + ": " + why);
        }
    };

    private Supervisor supervisor(Starter starter, RestartPolicy.Mode mode) {
        Config config = Config.builder(List.of("/app")).gracePeriod(GRACE).readyTimeout(READY_TIMEOUT)
                .readiness(Readiness.notifySocket())
                .restart(new RestartPolicy(mode, Duration.ofSeconds(1), 3, Duration.ofMinutes(1))).build();
        return new Supervisor(config, starter, procs, now::get, 1, lifecycle, null);
    }

    /** Generation 1 (pid 100) ready, with sockets: the overlapping (zero-downtime) path. */
    private Supervisor serving(Starter starter, RestartPolicy.Mode mode) {
        Supervisor s = supervisor(starter, mode);
        s.start();
        s.handle(null);
        ready(s, 1);
        procs.sent.clear();
        events.clear();
        return s;
    }

    private void ready(Supervisor s, int generation) {
        s.notified(procs.send(generation, "READY=1"));
    }

    private Request.Rollout rollout(String version) {
        return new Request.Rollout(version, () -> events.add("rollback " + version), new CompletableFuture<>());
    }

    private static SignalInfo signal(int signal) {
        return new SignalInfo(signal, SignalInfo.SI_USER, 0);
    }

    private void exits(Supervisor s, int pid, int status) {
        procs.exit(pid, status);
        procs.groups.remove(pid);
        s.handle(signal(17));
    }

    private void later(Supervisor s, Duration d) {
        now.addAndGet(d.toNanos());
        s.handle(null);
    }

    private static FakeProcesses.Sent sent(int pid, int signal) {
        return new FakeProcesses.Sent(Integer.toString(pid), signal);
    }

    @Test
    void rolloutStartsTheNewReleaseBesideTheOldAndSwapsWhenReady() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2");
        s.request(r);
        assertEquals(List.of(100, 101), procs.spawned);
        assertEquals(List.of(), procs.sent, "the old generation serves until the new one is ready");
        assertFalse(r.outcome().isDone());
        ready(s, 2);
        assertEquals(new Request.Outcome(true, "ready"), r.outcome().getNow(null));
        assertEquals(List.of(sent(100, SIGTERM), sent(100, SIGCONT)), procs.sent);
        assertEquals(List.of("serving 2 deploy"), events, "no rollback");
    }

    @Test
    void newReleaseExitingBeforeReadyIsRolledBackAndTheOldServesOn() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2");
        s.request(r);
        exits(s, 101, WaitStatus.ofExit(3));
        Request.Outcome o = r.outcome().getNow(null);
        assertFalse(o.ready());
        assertTrue(o.why().contains("exited before it was ready"), o.why());
        assertEquals(List.of("failed deploy: exited before it was ready (exited with 3)", "rollback v2"), events);
        assertTrue(procs.sentTo("100").isEmpty(), "the old generation was never asked to stop");
        assertFalse(s.done());
        s.handle(signal(SIGUSR1)); // still a working supervisor: USR1 restarts the old release
        assertEquals(List.of(100, 101, 102), procs.spawned);
    }

    @Test
    void newReleaseNotReadyInTimeIsStoppedAndRolledBack() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2");
        s.request(r);
        later(s, READY_TIMEOUT.plusMillis(1));
        assertFalse(r.outcome().getNow(null).ready());
        assertTrue(events.contains("rollback v2"), events.toString());
        assertEquals(List.of(sent(101, SIGTERM), sent(101, SIGCONT)), procs.sent, "only the new one is stopped");
    }

    @Test
    void rolloutRefusedWhenTheNewCommandIsMissing() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        procs.notRunnable = new SpawnException("/app", dewy.posix.Posix.ENOENT, "no such file or directory");
        Request.Rollout r = rollout("v2");
        s.request(r);
        assertFalse(r.outcome().getNow(null).ready());
        assertEquals(List.of(100), procs.spawned);
        assertTrue(events.contains("rollback v2"), events.toString());
    }

    @Test
    void sequentialRolloutThatFailsStartsTheOldReleaseAgainAtOnceWhateverThePolicy() {
        Supervisor s = serving(NO_SOCKETS, RestartPolicy.Mode.NEVER);
        Request.Rollout r = rollout("v2");
        s.request(r);
        assertEquals(List.of(sent(100, SIGTERM), sent(100, SIGCONT)), procs.sent, "no sockets: stop, then start");
        exits(s, 100, WaitStatus.ofSignal(SIGTERM));
        assertEquals(List.of(100, 101), procs.spawned);
        exits(s, 101, WaitStatus.ofExit(1));
        assertEquals(List.of("failed deploy: exited before it was ready (exited with 1)", "rollback v2"), events);
        assertFalse(r.outcome().getNow(null).ready());
        s.handle(null);
        assertEquals(List.of(100, 101, 102), procs.spawned, "the rolled-back release starts, --restart never or not");
        ready(s, 3);
        assertEquals("serving 3 rollback", events.get(events.size() - 1));
        assertFalse(s.done());
    }

    @Test
    void sequentialRolloutReady() {
        Supervisor s = serving(NO_SOCKETS, RestartPolicy.Mode.NEVER);
        Request.Rollout r = rollout("v2");
        s.request(r);
        exits(s, 100, WaitStatus.ofSignal(SIGTERM));
        ready(s, 2);
        assertTrue(r.outcome().getNow(null).ready());
        assertEquals(List.of("serving 2 deploy"), events);
    }

    @Test
    void waitsForTheFirstReleaseThenStartsIt() {
        Supervisor s = supervisor(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        s.awaitFirstRelease();
        s.handle(null);
        s.handle(signal(SIGUSR1));
        assertEquals(List.of(), procs.spawned, "nothing to start before a release");
        assertEquals(-1, s.waitNanos(), "no deadline while waiting");
        Request.Rollout first = rollout("v1");
        s.request(first);
        assertEquals(List.of(100), procs.spawned);
        exits(s, 100, WaitStatus.ofExit(2));
        assertEquals(List.of("failed deploy: exited before it was ready (exited with 2)", "rollback v1"), events);
        s.handle(null);
        assertEquals(List.of(100), procs.spawned, "no older release: back to waiting, not a crash loop");
        events.clear();
        Request.Rollout second = rollout("v2");
        s.request(second);
        ready(s, 2);
        assertTrue(second.outcome().getNow(null).ready());
        assertEquals(List.of("serving 2 deploy first"), events);
    }

    @Test
    void drainWhileWaitingExitsZero() {
        Supervisor s = supervisor(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        s.awaitFirstRelease();
        s.handle(signal(SIGTERM));
        assertTrue(s.done());
        assertEquals(0, s.exitStatus());
    }

    @Test
    void drainTellsTheSchedulerFirstAndAbandonsARollout() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2");
        s.request(r);
        s.handle(signal(SIGTERM));
        assertEquals("draining SIGTERM after 0 signals", events.get(0), "before any signal reaches the application");
        assertEquals("rollback v2", events.get(1));
        assertEquals(new Request.Outcome(false, "dewy is stopping"), r.outcome().getNow(null));
        Request.Rollout late = rollout("v3");
        s.request(late);
        assertFalse(late.outcome().getNow(null).ready());
        assertTrue(events.contains("rollback v3"));
    }

    @Test
    void aSecondRolloutDuringARestartIsRefused() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        s.request(rollout("v2"));
        Request.Rollout second = rollout("v3");
        s.request(second);
        assertEquals(new Request.Outcome(false, "a restart is already under way"), second.outcome().getNow(null));
        assertEquals(List.of(100, 101), procs.spawned);
    }

    @Test
    void rolloutDuringACrashBackoffStartsAtOnce() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        exits(s, 100, WaitStatus.ofExit(1));
        assertEquals(List.of(100), procs.spawned, "backing off");
        Request.Rollout r = rollout("v2");
        s.request(r);
        assertEquals(List.of(100, 101), procs.spawned);
        ready(s, 2);
        assertTrue(r.outcome().getNow(null).ready());
    }

    @Test
    void tasksRunWithTheApplicationsEnvironmentAndReportTheirStatus() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        s.request(new Request.Task("before-deploy-hook", "make ready", List.of("DEWY_VERSION=v2"),
                Duration.ofMinutes(1), exit));
        assertEquals("make ready", procs.checks.get(101));
        assertFalse(exit.isDone());
        exits(s, 101, WaitStatus.ofExit(4));
        assertEquals(4, exit.getNow(null));
        assertTrue(procs.sentTo("100").isEmpty(), "a task's exit is not the application's");
        assertFalse(s.done());
    }

    @Test
    void aTaskPastItsTimeoutIsKilled() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        s.request(new Request.Task("after-deploy-hook", "sleep 99", List.of(), Duration.ofSeconds(5), exit));
        later(s, Duration.ofSeconds(6));
        assertEquals(List.of(new FakeProcesses.Sent("-101", SIGKILL)), procs.sent);
        exits(s, 101, WaitStatus.ofSignal(SIGKILL));
        assertEquals(137, exit.getNow(null));
    }

    @Test
    void drainStopsRunningTasksAndRefusesNewOnes() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        s.request(new Request.Task("hook", "sleep 99", List.of(), Duration.ofMinutes(5), exit));
        s.handle(signal(SIGTERM));
        assertTrue(procs.sentTo("-101").contains(new FakeProcesses.Sent("-101", SIGTERM)), procs.sent.toString());
        CompletableFuture<Integer> late = new CompletableFuture<>();
        s.request(new Request.Task("hook", "true", List.of(), Duration.ofMinutes(5), late));
        assertTrue(late.isCompletedExceptionally());
    }
}
