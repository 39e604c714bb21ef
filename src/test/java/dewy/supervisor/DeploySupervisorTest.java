package dewy.supervisor;

import static dewy.posix.Signals.SIGCONT;
import static dewy.posix.Signals.SIGHUP;
import static dewy.posix.Signals.SIGKILL;
import static dewy.posix.Signals.SIGTERM;
import static dewy.posix.Signals.SIGUSR1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Rollouts on the loop, on fake processes and a fake {@code current}: the hooks, the swap, the restart, readiness,
 * rollbacks, and every interleaving with USR1, crashes, HUP and drains that the scheduler thread used to race.
 */
class DeploySupervisorTest {
    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    private static final Starter SOCKETS = new Starter(
            List.of(new Listener(ListenSpec.parse("127.0.0.1:8080"), 10, 3, 8080)), List.of("PATH=/bin"), "/bin/sh");
    private static final Starter NO_SOCKETS = new Starter(List.of(), List.of("PATH=/bin"), null);

    private final FakeProcesses procs = new FakeProcesses();
    private final FakeReleases releases = new FakeReleases("v1");
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    /** What the supervisor told the rest of dewy, in order, and each hook's status. */
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

    DeploySupervisorTest() {
        procs.release = () -> releases.current;
    }

    private Supervisor supervisor(Starter starter, RestartPolicy.Mode mode) {
        Config config = Config.builder(List.of("/app")).gracePeriod(GRACE).readyTimeout(READY_TIMEOUT)
                .readiness(Readiness.notifySocket())
                .restart(new RestartPolicy(mode, Duration.ofSeconds(1), 3, Duration.ofMinutes(1))).build();
        return new Supervisor(config, starter, procs, now::get, 1, lifecycle, null, releases);
    }

    /** Generation 1 (pid 100) ready on release v1. */
    private Supervisor serving(Starter starter, RestartPolicy.Mode mode) {
        Supervisor s = supervisor(starter, mode);
        s.start();
        s.handle(null);
        ready(s, 1);
        procs.sent.clear();
        events.clear();
        releases.changes.clear();
        return s;
    }

    private void ready(Supervisor s, int generation) {
        s.notified(procs.send(generation, "READY=1"));
    }

    private Request.Rollout rollout(String version, String before, String after) {
        return new Request.Rollout(version, Path.of("/work/releases/.staging-" + version), before, after,
                List.of("DEWY_VERSION=" + version), Duration.ofMinutes(5),
                (hook, code) -> events.add(hook + " " + code), new CompletableFuture<>());
    }

    private Request.Rollout rollout(String version) {
        return rollout(version, null, null);
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

    /** The pid of the hook the loop started last. */
    private int lastHook() {
        return List.copyOf(procs.checks.keySet()).get(procs.checks.size() - 1);
    }

    private static Request.Result result(Request.Rollout r) {
        Request.Outcome o = r.outcome().getNow(null);
        return o == null ? null : o.result();
    }

    @Test
    void rolloutSwapsCurrentThenStartsTheNewReleaseBesideTheOld() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2");
        s.request(r);
        assertEquals(List.of("commit v2", "swap v2"), releases.changes, "the loop moves it in and swaps current");
        assertEquals(List.of(100, 101), procs.spawned);
        assertEquals("v2", procs.releaseOf.get(101));
        assertEquals(List.of(), procs.sent, "the old generation serves until the new one is ready");
        assertFalse(r.outcome().isDone());
        ready(s, 2);
        Request.Outcome o = r.outcome().getNow(null);
        assertEquals(new Request.Outcome(Request.Result.DEPLOYED, "ready", FakeReleases.dir("v2"),
                FakeReleases.dir("v1")), o);
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
        assertEquals(Request.Result.FAILED, o.result());
        assertTrue(o.why().contains("exited before it was ready"), o.why());
        assertEquals("v1", releases.current);
        assertEquals(List.of("failed deploy: exited before it was ready (exited with 3)"), events);
        assertTrue(procs.sentTo("100").isEmpty(), "the old generation was never asked to stop");
        s.handle(signal(SIGUSR1)); // still a working supervisor: USR1 restarts the old release
        assertEquals(List.of(100, 101, 102), procs.spawned);
        assertEquals("v1", procs.releaseOf.get(102));
    }

    /** The rolled-back release's 3 is not dewy's status: the generation that served on exits 0 at the drain. */
    @Test
    void afterARollbackTheDrainExitsWithTheServingGenerationsStatus() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        s.request(rollout("v2"));
        exits(s, 101, WaitStatus.ofExit(3));
        s.handle(signal(SIGTERM));
        exits(s, 100, WaitStatus.ofExit(0));
        assertTrue(s.done());
        assertEquals(0, s.exitStatus(), "the status of v1's generation, which served to the end");
    }

    @Test
    void newReleaseNotReadyInTimeIsStoppedAndRolledBack() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2");
        s.request(r);
        later(s, READY_TIMEOUT.plusMillis(1));
        assertEquals(Request.Result.FAILED, result(r));
        assertEquals("v1", releases.current);
        assertEquals(List.of(sent(101, SIGTERM), sent(101, SIGCONT)), procs.sent, "only the new one is stopped");
    }

    @Test
    void rolloutRefusedWhenTheNewCommandIsMissing() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        procs.notRunnable = new SpawnException("/app", dewy.posix.Posix.ENOENT, "no such file or directory");
        Request.Rollout r = rollout("v2");
        s.request(r);
        assertEquals(Request.Result.FAILED, result(r));
        assertEquals(List.of(100), procs.spawned);
        assertEquals(List.of("commit v2", "swap v2", "restore v1"), releases.changes);
    }

    @Test
    void aReleaseThatCannotBePutInPlaceFailsWithNothingChanged() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        releases.commitFailure = new IOException("no space left on device");
        Request.Rollout r = rollout("v2");
        s.request(r);
        assertEquals(Request.Result.FAILED, result(r));
        assertTrue(r.outcome().getNow(null).why().contains("no space left"), r.outcome().getNow(null).why());
        assertNull(r.outcome().getNow(null).release(), "never moved into place: the scheduler removes the staging");
        assertEquals("v1", releases.current);
        assertEquals(List.of(100), procs.spawned);
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
        assertEquals(Request.Result.FAILED, result(r));
        assertEquals(List.of(100, 101, 102), procs.spawned, "the rolled-back release starts, --restart never or not");
        assertEquals("v1", procs.releaseOf.get(102));
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
        assertEquals(Request.Result.DEPLOYED, result(r));
        assertEquals(List.of("serving 2 deploy"), events);
    }

    @Test
    void waitsForTheFirstReleaseThenStartsIt() {
        releases.current = null;
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
        assertEquals(Request.Result.FAILED, result(first));
        assertNull(releases.current, "no older release: current is gone again");
        s.handle(null);
        assertEquals(List.of(100), procs.spawned, "back to waiting, not a crash loop");
        events.clear();
        Request.Rollout second = rollout("v2");
        s.request(second);
        ready(s, 2);
        assertEquals(Request.Result.DEPLOYED, result(second));
        assertEquals(List.of("serving 2 deploy first"), events);
    }

    @Test
    void drainWhileWaitingExitsZero() {
        releases.current = null;
        Supervisor s = supervisor(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        s.awaitFirstRelease();
        s.handle(signal(SIGTERM));
        assertTrue(s.done());
        assertEquals(0, s.exitStatus());
    }

    @Test
    void drainTellsTheSchedulerFirstAndAbandonsARolloutPuttingCurrentBack() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2");
        s.request(r);
        s.handle(signal(SIGTERM));
        assertEquals("draining SIGTERM after 0 signals", events.get(0), "before any signal reaches the application");
        assertEquals(Request.Result.ABANDONED, result(r), "dewy is stopping: not the release's fault");
        assertEquals("v1", releases.current, "the next start runs the release that was serving");
        Request.Rollout late = rollout("v3");
        s.request(late);
        assertEquals(Request.Result.ABANDONED, result(late));
        assertEquals("v1", releases.current);
    }

    @Test
    void aSecondRolloutDuringARestartWaitsItsTurn() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout first = rollout("v2");
        s.request(first);
        Request.Rollout second = rollout("v3");
        s.request(second);
        assertFalse(second.outcome().isDone(), "queued, never refused");
        assertEquals(List.of(100, 101), procs.spawned);
        ready(s, 2);
        assertEquals(Request.Result.DEPLOYED, result(first));
        assertEquals(List.of(100, 101, 102), procs.spawned);
        assertEquals("v3", procs.releaseOf.get(102));
        ready(s, 3);
        assertEquals(Request.Result.DEPLOYED, result(second));
        assertEquals("v3", releases.current);
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
        assertEquals(Request.Result.DEPLOYED, result(r));
        later(s, Duration.ofSeconds(5));
        assertEquals(List.of(100, 101), procs.spawned, "the crash restart was served by the deploy");
    }

    // ---- hooks

    @Test
    void theBeforeHookRunsFirstWithTheDeploysVariables() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2", "make ready", null);
        s.request(r);
        assertEquals("make ready", procs.checks.get(lastHook()));
        assertEquals(List.of(), releases.changes, "nothing changes before the hook says yes");
        assertEquals(List.of(100), procs.spawned);
        exits(s, lastHook(), WaitStatus.ofExit(0));
        assertEquals(List.of("before-deploy-hook 0"), events);
        assertEquals(List.of("commit v2", "swap v2"), releases.changes);
        assertEquals(2, procs.spawned.size());
    }

    @Test
    void aFailingBeforeHookLeavesEverythingAsItWas() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2", "exit 4", null);
        s.request(r);
        exits(s, lastHook(), WaitStatus.ofExit(4));
        assertEquals(new Request.Outcome(Request.Result.FAILED, "before-deploy-hook failed with 4", null, null),
                r.outcome().getNow(null));
        assertEquals(List.of(), releases.changes);
        assertEquals(List.of(100), procs.spawned);
        assertTrue(procs.sentTo("100").isEmpty(), "a hook's exit is not the application's");
    }

    @Test
    void aFailingAfterHookPutsCurrentBackAndNothingStarts() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2", null, "check");
        s.request(r);
        assertEquals(List.of("commit v2", "swap v2"), releases.changes, "the after-hook runs after the swap");
        exits(s, lastHook(), WaitStatus.ofExit(1));
        assertEquals(Request.Result.FAILED, result(r));
        assertEquals("v1", releases.current);
        assertEquals(List.of(100), procs.spawned);
    }

    @Test
    void usr1DuringTheAfterHookNeverStartsTheUnapprovedRelease() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2", null, "check");
        s.request(r);
        s.handle(signal(SIGUSR1));
        assertEquals(List.of(100), procs.spawned, "the USR1 waits for the hook's verdict");
        exits(s, lastHook(), WaitStatus.ofExit(1));
        assertEquals(Request.Result.FAILED, result(r));
        assertEquals(2, procs.spawned.size(), "then the USR1 runs, on the approved release");
        assertEquals("v1", procs.releaseOf.get(procs.spawned.get(1)));
        ready(s, 2);
        assertEquals(List.of(sent(100, SIGTERM), sent(100, SIGCONT)), procs.sent);
    }

    @Test
    void usr1DuringAnApprovingAfterHookJoinsTheDeploy() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2", null, "check");
        s.request(r);
        s.handle(signal(SIGUSR1));
        exits(s, lastHook(), WaitStatus.ofExit(0));
        assertEquals(2, procs.spawned.size(), "one generation serves both");
        ready(s, 2);
        assertEquals(Request.Result.DEPLOYED, result(r));
        later(s, Duration.ofSeconds(1));
        assertEquals(2, procs.spawned.size(), "the USR1 was served by the deploy's restart");
    }

    @Test
    void aCrashDuringTheAfterHookRestartsTheApprovedReleaseOnly() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2", null, "check");
        s.request(r);
        exits(s, 100, WaitStatus.ofExit(1));
        later(s, Duration.ofSeconds(30));
        assertEquals(List.of(100), procs.spawned, "no spawn while current names an unapproved release");
        assertTrue(s.applicationOrPendingStart(), "the deploy's restart is on its way");
        exits(s, lastHook(), WaitStatus.ofExit(1));
        assertEquals("v1", releases.current);
        later(s, Duration.ofSeconds(1));
        assertEquals(2, procs.spawned.size(), "the crash restart, after its backoff");
        assertEquals("v1", procs.releaseOf.get(procs.spawned.get(1)));
    }

    @Test
    void termDuringTheAfterHookPutsCurrentBack() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2", null, "check");
        s.request(r);
        int hook = lastHook();
        s.handle(signal(SIGTERM));
        assertEquals("v1", releases.current, "the next start of the container runs the approved release");
        assertEquals(Request.Result.ABANDONED, result(r));
        assertTrue(procs.sentTo("-" + hook).contains(new FakeProcesses.Sent("-" + hook, SIGTERM)), "hook stopped");
        exits(s, hook, WaitStatus.ofSignal(SIGTERM));
        assertEquals(List.of(), events.stream().filter(e -> e.startsWith("after-deploy-hook")).toList(),
                "an abandoned hook's exit is no verdict");
    }

    @Test
    void hupDuringTheAfterHookIsHeldUntilTheVerdict() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2", null, "check");
        s.request(r);
        s.handle(signal(SIGHUP));
        assertTrue(procs.sentTo("100").isEmpty(), "a reload now would load the unapproved release");
        exits(s, lastHook(), WaitStatus.ofExit(1));
        assertEquals(List.of(sent(100, SIGHUP)), procs.sentTo("100"), "forwarded once current is approved again");
    }

    // ---- USR1 and rollouts

    @Test
    void usr1WhileTheRolloutStartsQueuesAndNeverFailsIt() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = rollout("v2");
        s.request(r);
        s.handle(signal(SIGUSR1));
        assertEquals(List.of(100, 101), procs.spawned);
        ready(s, 2);
        assertEquals(Request.Result.DEPLOYED, result(r), "not refused, no false rollback");
        assertEquals(List.of(100, 101, 102), procs.spawned, "the USR1 runs after it");
        assertEquals("v2", procs.releaseOf.get(102));
    }

    @Test
    void withoutSocketsAUsr1DuringTheDeploysRestartWaitsUntilItIsReady() {
        Supervisor s = serving(NO_SOCKETS, RestartPolicy.Mode.NEVER);
        Request.Rollout r = rollout("v2");
        s.request(r);
        exits(s, 100, WaitStatus.ofSignal(SIGTERM));
        assertEquals(List.of(100, 101), procs.spawned);
        s.handle(signal(SIGUSR1));
        assertTrue(procs.sentTo("101").isEmpty(), "the rollout's generation is not stopped before it is ready");
        ready(s, 2);
        assertEquals(Request.Result.DEPLOYED, result(r));
        assertEquals(List.of(sent(101, SIGTERM), sent(101, SIGCONT)), procs.sentTo("101"), "then the USR1 runs");
        exits(s, 101, WaitStatus.ofSignal(SIGTERM));
        assertEquals(List.of(100, 101, 102), procs.spawned);
        assertEquals("v2", procs.releaseOf.get(102));
    }

    @Test
    void aTaskPastItsTimeoutIsKilled() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        Request.Rollout r = new Request.Rollout("v2", Path.of("/s"), "sleep 99", null, List.of(), Duration.ofSeconds(5),
                Request.HookListener.NONE, new CompletableFuture<>());
        s.request(r);
        int hook = lastHook();
        later(s, Duration.ofSeconds(6));
        assertEquals(List.of(new FakeProcesses.Sent("-" + hook, SIGKILL)), procs.sent);
        exits(s, hook, WaitStatus.ofSignal(SIGKILL));
        assertEquals("before-deploy-hook failed with 137", r.outcome().getNow(null).why());
    }

    @Test
    void hooksGetTheApplicationsEnvironmentAndTheDeploysVariables() {
        Supervisor s = serving(SOCKETS, RestartPolicy.Mode.ON_FAILURE);
        s.request(rollout("v2", null, "check"));
        assertEquals("check", procs.checks.get(lastHook()));
        assertEquals(List.of("PATH=/bin", "DEWY_VERSION=v2", "DEWY_HOOK=after-deploy-hook",
                "DEWY_RELEASE_DIR=/work/releases/v2"), procs.checkEnv.get(lastHook()));
    }
}
