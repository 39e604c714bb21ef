package dewy.supervisor;

import static dewy.posix.Signals.SIGHUP;
import static dewy.posix.Signals.SIGTERM;
import static dewy.posix.Signals.SIGUSR1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.Config;
import dewy.posix.SignalInfo;
import dewy.posix.WaitStatus;
import dewy.starter.Starter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@code dewy assets} on the loop: the same rollout (hooks, swap, the after-hook's veto) with no application. Nothing
 * is ever spawned but the hooks, USR1 and HUP change nothing, and a drain exits 0 with current on an approved
 * release.
 */
class AssetsSupervisorTest {
    private final FakeProcesses procs = new FakeProcesses();
    private final FakeReleases releases = new FakeReleases("v1");
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<Status> statuses = new ArrayList<>();
    private final List<String> events = new ArrayList<>();

    private final Lifecycle lifecycle = new Lifecycle() {
        @Override
        public void draining(String signal) {
            events.add("draining " + signal);
        }

        @Override
        public void serving(int generation, int pid, String reason, boolean first) {
            events.add("serving " + generation);
        }

        @Override
        public void restartFailed(String reason, String why) {
            events.add("failed " + reason);
        }
    };

    private Supervisor assets(boolean inPlace) {
        Supervisor s = new Supervisor(Config.builder(List.of()).build(), new Starter(List.of(), List.of("PATH=/bin"),
                "/bin/sh"), procs, now::get, 1, lifecycle, statuses::add, releases);
        s.runNoApplication(inPlace);
        s.handle(null);
        return s;
    }

    private static Request.Rollout rollout(String version, String before, String after) {
        return new Request.Rollout(version, Path.of("/work/releases/.staging-" + version), before, after,
                List.of("DEWY_VERSION=" + version), Duration.ofMinutes(5), (hook, code) -> { },
                new CompletableFuture<>());
    }

    private static SignalInfo signal(int signal) {
        return new SignalInfo(signal, SignalInfo.SI_USER, 0);
    }

    private int lastHook() {
        return List.copyOf(procs.checks.keySet()).get(procs.checks.size() - 1);
    }

    private void exits(Supervisor s, int pid, int status) {
        procs.exit(pid, status);
        procs.groups.remove(pid);
        s.handle(signal(17));
    }

    private static Request.Result result(Request.Rollout r) {
        Request.Outcome o = r.outcome().getNow(null);
        return o == null ? null : o.result();
    }

    private Status status() {
        return statuses.get(statuses.size() - 1);
    }

    @Test
    void aRolloutRunsTheHooksAndSwapsCurrentAndNothingStarts() {
        Supervisor s = assets(true);
        assertEquals("assets", status().phase());
        assertTrue(status().ready(), "a release is in place");
        Request.Rollout r = rollout("v2", "fetch-keys", "nginx -s reload");
        s.request(r);
        assertEquals("fetch-keys", procs.checks.get(lastHook()));
        exits(s, lastHook(), WaitStatus.ofExit(0));
        assertEquals(List.of("commit v2", "swap v2"), releases.changes);
        assertEquals("nginx -s reload", procs.checks.get(lastHook()));
        assertFalse(r.outcome().isDone(), "not deployed before the after-hook approves");
        exits(s, lastHook(), WaitStatus.ofExit(0));
        assertEquals(Request.Result.DEPLOYED, result(r));
        assertEquals("v2", releases.current);
        assertEquals(List.of(), procs.spawned, "no application, ever");
        assertEquals(List.of(), events);
        assertFalse(s.done());
        assertTrue(s.applicationOrPendingStart(), "with no application, nothing is missing");
    }

    @Test
    void aRefusingAfterHookPutsCurrentBack() {
        Supervisor s = assets(true);
        Request.Rollout r = rollout("v2", null, "check");
        s.request(r);
        assertEquals("v2", releases.current);
        exits(s, lastHook(), WaitStatus.ofExit(3));
        assertEquals(Request.Result.FAILED, result(r));
        assertEquals("v1", releases.current);
        assertFalse(s.done(), "dewy assets goes on: the next release may pass");
        assertEquals(List.of(), procs.spawned);
    }

    @Test
    void usr1AndHupChangeNothingAndTermExitsZero() {
        Supervisor s = assets(true);
        s.handle(signal(SIGUSR1));
        s.handle(signal(SIGHUP));
        assertEquals(List.of(), procs.spawned);
        assertEquals(List.of(), procs.sent);
        assertFalse(s.done());
        s.handle(signal(SIGTERM));
        assertTrue(s.done());
        assertEquals(0, s.exitStatus());
        assertEquals(List.of("draining SIGTERM"), events);
    }

    @Test
    void termDuringTheAfterHookStopsItAndPutsCurrentBack() {
        Supervisor s = assets(true);
        Request.Rollout r = rollout("v2", null, "check");
        s.request(r);
        int hook = lastHook();
        s.handle(signal(SIGTERM));
        assertEquals(Request.Result.ABANDONED, result(r));
        assertEquals("v1", releases.current, "never left on a release the hook did not approve");
        assertTrue(procs.sentTo("-" + hook).contains(new FakeProcesses.Sent("-" + hook, SIGTERM)), "hook stopped");
        exits(s, hook, WaitStatus.ofSignal(SIGTERM));
        assertTrue(s.done());
        assertEquals(0, s.exitStatus());
    }

    @Test
    void beforeTheFirstReleaseItIsNotReadyThenIs() {
        releases.current = null;
        Supervisor s = assets(false);
        assertFalse(status().ready());
        Request.Rollout r = rollout("v1", null, null);
        s.request(r);
        assertEquals(Request.Result.DEPLOYED, result(r));
        assertTrue(status().ready());
        assertEquals(List.of(), procs.spawned);
    }
}
