package dewy.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.Config;
import dewy.cli.RestartPolicy;
import dewy.posix.Signals;
import dewy.posix.SpawnException;
import dewy.posix.WaitStatus;
import dewy.starter.ListenSpec;
import dewy.starter.Listener;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The restart queue on its own, on the fake process table and clock: the test plays the supervisor's part (it
 * calls {@link Restarts#ready}, {@link Restarts#exitedBeforeReady}, {@link Restarts#tick}, {@link Restarts#step} and
 * {@link Restarts#settle} where the loop would) and reads each request's completion.
 */
class RestartsTest {
    private final FakeProcesses procs = new FakeProcesses();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<String> failures = new ArrayList<>();
    private final FakeReleases releases = new FakeReleases("v1");
    private Generations generations;
    private Drain drain;
    private Restarts restarts;

    private Restarts restarts(boolean sockets, RestartPolicy policy) {
        Starter starter = sockets
                ? new Starter(List.of(new Listener(ListenSpec.parse("127.0.0.1:8080"), 10, 3, 8080)),
                List.of("PATH=/bin"), "/bin/sh")
                : new Starter(List.of(), List.of("PATH=/bin"), null);
        Config config = Config.builder(List.of("/app")).gracePeriod(Duration.ofSeconds(10))
                .readyTimeout(Duration.ofSeconds(20)).readiness(Readiness.notifySocket()).restart(policy).build();
        Clock clock = now::get;
        generations = new Generations(procs);
        ReadinessWatch readiness = new ReadinessWatch(config, starter, procs);
        Stopper stopper = new Stopper(config, procs, readiness);
        drain = new Drain(config, procs, generations, stopper);
        Lifecycle lifecycle = new Lifecycle() {
            @Override
            public void restartFailed(String reason, String why) {
                failures.add(reason + ": " + why);
            }
        };
        Deployment.Hooks noHooks = (name, command, env, timeout, exit) -> {
            throw new AssertionError("no hooks here");
        };
        restarts = new Restarts(config, starter, clock, generations, new Spawner(config, starter, procs, clock),
                readiness, stopper, new CrashPolicy(policy), lifecycle, drain, noHooks, procs);
        return restarts;
    }

    private static RestartPolicy always(int maxRestarts) {
        return new RestartPolicy(RestartPolicy.Mode.ALWAYS, Duration.ofSeconds(1), maxRestarts, Duration.ofMinutes(1));
    }

    private static RestartRequest usr1() {
        return RestartRequest.of(RestartRequest.Reason.USR1);
    }

    /** A rollout of {@code version} without hooks, as the scheduler posts it. */
    private RestartRequest deploy(String version) {
        Request.Rollout r = new Request.Rollout(version, Path.of("/work/releases/.staging-" + version), null, null,
                List.of(), Duration.ofSeconds(30), Request.HookListener.NONE, new CompletableFuture<>());
        return new RestartRequest(RestartRequest.Reason.DEPLOY, new Deployment(r, releases),
                RestartRequest.Completion.NONE);
    }

    /** The newest generation, as the loop's list holds it. */
    private Generation newest() {
        List<Generation> list = generations.list();
        return list.get(list.size() - 1);
    }

    /** The first generation starts and is ready. */
    private Generation started() {
        RestartRequest start = RestartRequest.of(RestartRequest.Reason.START);
        restarts.submit(start);
        Generation g = newest();
        restarts.ready(g, now.get());
        assertTrue(start.succeeded(), start.toString());
        assertTrue(restarts.settled());
        return g;
    }

    /** What the loop does when a main process is reaped and its group is empty: it is gone from the list. */
    private void exits(Generation g, int status) {
        g.exited = true;
        g.exitCode = WaitStatus.shellCode(status);
        procs.groups.remove(g.pid);
        procs.children.remove(g.pid);
        generations.closeNotify(g);
        restarts.recordExit(g, g.exitCode);
        generations.dropEmpty();
    }

    @Test
    void withoutSocketsAUsr1StopsTheOldFirstAndOneThatComesMeanwhileJoinsIt() {
        restarts(false, always(3));
        Generation first = started();
        RestartRequest a = usr1();
        RestartRequest b = usr1();
        restarts.submit(a);
        assertEquals(Restarts.Phase.STOPPING_OLD, restarts.phase());
        assertEquals(List.of(new FakeProcesses.Sent(Integer.toString(first.pid), Signals.SIGTERM),
                new FakeProcesses.Sent(Integer.toString(first.pid), Signals.SIGCONT)), procs.sent,
                "the stop signal (and CONT, should it be stopped) to the main process only");
        restarts.submit(b); // the old one is still stopping: nothing spawned yet, so b rides on a
        assertEquals(1, procs.spawned.size());
        restarts.step(now.get());
        assertEquals(1, procs.spawned.size(), "nothing starts while the old group has members");
        exits(first, WaitStatus.ofSignal(Signals.SIGTERM));
        restarts.step(now.get());
        assertEquals(2, procs.spawned.size());
        assertFalse(a.done());
        restarts.ready(newest(), now.get());
        assertTrue(a.succeeded() && b.succeeded(), a + " " + b);
        assertEquals(2, procs.spawned.size(), "one new generation served both");
        assertTrue(restarts.settled());
    }

    @Test
    void withSocketsOneUsr1QueuesBehindAStartedRestartAndTheRestJoinIt() {
        restarts(true, always(3));
        Generation first = started();
        RestartRequest a = usr1();
        restarts.submit(a);
        assertEquals(Restarts.Phase.STARTING, restarts.phase());
        assertEquals(2, procs.spawned.size(), "the new generation starts beside the old");
        assertTrue(procs.sent.isEmpty(), "the old one is not stopped before the new one is ready");
        RestartRequest b = usr1();
        RestartRequest c = usr1();
        RestartRequest d = usr1();
        restarts.submit(b);
        restarts.submit(c);
        restarts.submit(d);
        assertEquals(List.of(a, b), restarts.queued(), "one queued behind the one under way");
        assertEquals(List.of(c, d), b.joined);
        restarts.ready(newest(), now.get());
        assertTrue(a.succeeded());
        assertTrue(procs.sent.contains(new FakeProcesses.Sent(Integer.toString(first.pid), Signals.SIGTERM)),
                "the old generation stops once the new one is ready");
        assertEquals(3, procs.spawned.size(), "the queued USR1 began at once");
        restarts.ready(newest(), now.get());
        assertTrue(b.succeeded() && c.succeeded() && d.succeeded());
        assertEquals(3, procs.spawned.size(), "four USR1s, two restarts");
    }

    @Test
    void aFailedUsr1DropsTheOneQueuedBehindItAndTheOldGenerationServesOn() {
        restarts(true, always(3));
        Generation first = started();
        RestartRequest a = usr1();
        RestartRequest b = usr1();
        restarts.submit(a);
        restarts.submit(b);
        Generation second = newest();
        exits(second, WaitStatus.ofExit(1));
        restarts.exitedBeforeReady(second, "exited before it was ready", now.get());
        assertTrue(a.done() && !a.succeeded());
        assertTrue(b.done() && !b.succeeded(), b.toString());
        assertEquals("dropped with the failed restart", b.why());
        assertEquals(2, procs.spawned.size(), "the same command would fail again: not retried");
        assertTrue(first.serving());
        assertEquals(1, failures.size(), failures.toString());
        restarts.settle(now.get());
        assertTrue(restarts.settled(), "a serving generation needs no crash restart");
        assertFalse(drain.ending());
    }

    @Test
    void aCrashWaitsItsBackoffAndAUsr1MeanwhileStartsItAtOnce() {
        restarts(true, always(3));
        Generation first = started();
        exits(first, WaitStatus.ofExit(3));
        restarts.settle(now.get());
        assertEquals(Restarts.Phase.BACKOFF, restarts.phase());
        assertEquals(now.get() + Duration.ofSeconds(1).toNanos(), restarts.nextDeadline());
        now.addAndGet(Duration.ofMillis(999).toNanos());
        restarts.tick(now.get());
        assertEquals(1, procs.spawned.size(), "not before the backoff ends");
        RestartRequest a = usr1();
        restarts.submit(a);
        assertEquals(2, procs.spawned.size(), "a USR1 ends the backoff");
        restarts.ready(newest(), now.get());
        assertTrue(a.succeeded());
        assertTrue(restarts.queued().isEmpty());
    }

    @Test
    void theBackoffDoublesAndTheCrashPolicyGivesUpWithTheApplicationsStatus() {
        restarts(true, always(2));
        Generation g = started();
        List<Long> delays = new ArrayList<>();
        for (int crash = 1; crash <= 3; crash++) {
            exits(g, WaitStatus.ofExit(3));
            restarts.settle(now.get());
            if (crash == 3) {
                break;
            }
            delays.add((restarts.nextDeadline() - now.get()) / 1_000_000);
            now.set(restarts.nextDeadline());
            restarts.tick(now.get());
            g = newest();
            restarts.ready(g, now.get());
        }
        assertEquals(List.of(1000L, 2000L), delays);
        assertTrue(drain.ending(), "two crash restarts within the window: dewy gives up");
        assertEquals(3, drain.status());
        assertEquals(3, procs.spawned.size());
    }

    @Test
    void aSpawnTheSystemFailsWithNothingServingIsRetriedAsACrashThenDewyExits125() {
        restarts(true, always(2));
        procs.spawnFailure = SpawnException.system("posix_spawn", "Too many open files");
        RestartRequest start = RestartRequest.of(RestartRequest.Reason.START);
        List<RestartRequest> taken = new ArrayList<>();
        restarts.observeForTest(taken::add);
        restarts.submit(start);
        assertTrue(start.done() && !start.succeeded());
        assertEquals(Restarts.Phase.BACKOFF, restarts.phase(), "retried, not stuck");
        assertTrue(procs.notifyOpen.isEmpty(), "the failed spawn's NOTIFY_SOCKET is closed");
        now.set(restarts.nextDeadline());
        restarts.tick(now.get());
        assertEquals(Restarts.Phase.BACKOFF, restarts.phase());
        now.set(restarts.nextDeadline());
        restarts.tick(now.get());
        assertTrue(drain.ending(), "the crash policy's intensity is spent");
        assertEquals(125, drain.status());
        assertEquals(3, procs.spawnAttempts);
        assertTrue(taken.stream().allMatch(RestartRequest::done), taken.toString());
    }

    @Test
    void aMissingCommandAtTheFirstStartEndsDewyWith127AndIsNotRetried() {
        restarts(false, always(0));
        procs.spawnFailure = new SpawnException("/app", 2, "No such file or directory");
        restarts.submit(RestartRequest.of(RestartRequest.Reason.START));
        assertTrue(drain.ending());
        assertEquals(127, drain.status());
        restarts.settle(now.get());
        assertEquals(1, procs.spawnAttempts);
    }

    @Test
    void aFailedSpawnWhileAGenerationServesFailsTheRestartOnly() {
        restarts(true, always(3));
        Generation first = started();
        procs.nextSpawnFailure = SpawnException.system("posix_spawn", "Cannot allocate memory");
        RestartRequest a = usr1();
        restarts.submit(a);
        assertTrue(a.done() && !a.succeeded());
        assertTrue(a.why().contains("Cannot allocate memory"), a.why());
        assertEquals(List.of("USR1: " + a.why()), failures);
        assertTrue(first.serving());
        assertTrue(procs.sent.isEmpty(), "the serving generation is left alone");
        restarts.settle(now.get());
        assertTrue(restarts.settled());
    }

    @Test
    void underOnFailureAnExitWith0EndsDewyWith0() {
        restarts(true, new RestartPolicy(RestartPolicy.Mode.ON_FAILURE, Duration.ofSeconds(1), 3,
                Duration.ofMinutes(1)));
        Generation first = started();
        exits(first, WaitStatus.ofExit(0));
        restarts.settle(now.get());
        assertTrue(drain.ending());
        assertEquals(0, drain.status());
        assertEquals(1, procs.spawned.size());
    }

    @Test
    void aDeployDuringACrashBackoffTakesItOverAndCompletesItToo() {
        restarts(true, always(3));
        Generation first = started();
        exits(first, WaitStatus.ofExit(1));
        restarts.settle(now.get());
        RestartRequest crash = restarts.queued().get(0);
        assertEquals(RestartRequest.Reason.CRASH, crash.reason);
        RestartRequest deploy = deploy("v2");
        restarts.submit(deploy);
        assertEquals("v2", releases.current, "swapped at once: nothing serves to wait for");
        assertEquals(2, procs.spawned.size(), "started now, not after the backoff");
        restarts.ready(newest(), now.get());
        assertTrue(deploy.succeeded());
        assertTrue(crash.succeeded(), "the crash restart is served by the deploy's generation");
        assertTrue(restarts.settled());
    }

    @Test
    void aDeployWhoseGenerationDiesWithNothingElseServingRollsBackAndTheOldReleaseStarts() {
        restarts(false, always(3));
        Generation first = started();
        RestartRequest deploy = deploy("v2");
        restarts.submit(deploy);
        RestartRequest a = usr1();
        restarts.submit(a); // joins: the deploy has not spawned yet
        exits(first, WaitStatus.ofSignal(Signals.SIGTERM));
        restarts.step(now.get());
        Generation second = newest();
        exits(second, WaitStatus.ofExit(1));
        restarts.exitedBeforeReady(second, "exited before it was ready", now.get());
        assertTrue(deploy.done() && !deploy.succeeded());
        assertEquals("v1", releases.current, "current is back before anything else starts");
        assertEquals(List.of(RestartRequest.Reason.ROLLBACK), restarts.queued().stream().map(q -> q.reason).toList());
        assertEquals(3, procs.spawned.size(), "the release that worked starts again at once, no backoff");
        assertFalse(a.done(), "the USR1 rides on the rollback: the release failed, not the USR1");
        restarts.ready(newest(), now.get());
        assertTrue(a.succeeded());
        assertTrue(restarts.settled());
    }

    @Test
    void abandonAllCompletesWhatIsUnderWayQueuedAndJoined() {
        restarts(true, always(3));
        started();
        RestartRequest a = usr1();
        RestartRequest b = usr1();
        RestartRequest c = usr1();
        restarts.submit(a);
        restarts.submit(b);
        restarts.submit(c);
        restarts.abandonAll("dewy is stopping");
        for (RestartRequest r : List.of(a, b, c)) {
            assertTrue(r.done() && !r.succeeded(), r.toString());
            assertEquals("dewy is stopping", r.why());
        }
        assertTrue(restarts.settled());
        assertNull(restarts.queued().stream().findFirst().orElse(null));
    }
}
