package dewy.supervisor;

import static dewy.posix.Signals.SIGHUP;
import static dewy.posix.Signals.SIGTERM;
import static dewy.posix.Signals.SIGUSR1;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dewy.cli.Config;
import dewy.cli.RestartPolicy;
import dewy.posix.SignalInfo;
import dewy.posix.WaitStatus;
import dewy.starter.ListenSpec;
import dewy.starter.Listener;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * Random interleavings of everything that can happen to dewy's lifecycle, on the fake process table and clock:
 * USR1, HUP, TERM, crashes, deploys with and without hooks, hooks that approve or refuse, READY=1 or silence,
 * time passing past readiness timeouts, backoffs and grace periods, old generations exiting, process groups
 * emptying, spawns failing for a moment (EMFILE, a NOTIFY_SOCKET that cannot be made). SIGKILL works as the kernel's
 * does: whatever dewy kills is gone at its next turn. After every step the lifecycle's invariants must hold:
 * <ol>
 *   <li>once no restart is under way or queued, at most one generation serves;</li>
 *   <li>outside a drain there is always a generation that serves or a start on its way; and, judged by the process
 *       table alone, not by dewy's word: wherever a run stops, time passing is enough for an application process
 *       to be alive again, or for dewy to have given up and exited;</li>
 *   <li>once settled, {@code current} names the release the newest serving generation runs;</li>
 *   <li>no generation ever starts on a release no after-hook approved, and no HUP reaches an application while
 *       current names one;</li>
 *   <li>every restart request (start, USR1, crash, deploy, rollback) is, after every step, either completed or still
 *       held by the queue (under way, queued, or joined to one that is); after the final drain every one is
 *       completed, every deploy has its outcome, and nothing is left queued;</li>
 *   <li>no NOTIFY_SOCKET stays open but a listed generation's: not a failed spawn's, not a dropped one's.</li>
 * </ol>
 * Under {@code dewy assets} (no application) the same steps must never spawn anything but hooks; once settled,
 * {@code current} names an approved release; the drain ends with status 0.
 */
class LifecyclePropertyTest {
    enum Kind { USR1, HUP, CRASH, READY, DEPLOY, HOOK_OK, HOOK_FAIL, TIME, OLD_EXITS, GROUP_EMPTIES, SPAWN_FAILS, TERM }

    /** One step; {@code pick} chooses which generation, hook or duration it applies to. */
    record Step(Kind kind, int pick) {
    }

    private static final Kind[] WEIGHTED = weighted();

    /** How often each kind of step comes: READY and TIME often, TERM rarely (it ends the run). */
    private static Kind[] weighted() {
        int[] weights = {6, 3, 4, 10, 5, 5, 3, 8, 6, 4, 2, 1};
        List<Kind> all = new ArrayList<>();
        for (Kind k : Kind.values()) {
            for (int i = 0; i < weights[k.ordinal()]; i++) {
                all.add(k);
            }
        }
        return all.toArray(Kind[]::new);
    }

    private static Gen<List<Step>> steps() {
        Gen<Step> step = integers().between(0, WEIGHTED.length - 1)
                .zip(integers().between(0, 99), (k, pick) -> new Step(WEIGHTED[k], pick));
        return lists().of(step).ofSizeBetween(1, 80);
    }

    @Test
    void theLifecycleInvariantsHoldAfterEveryStep() {
        qt().withExamples(Integer.getInteger("dewy.property.examples", 1500)).withShrinkCycles(2000)
                .forAll(steps(), booleans().all(), booleans().all())
                .checkAssert((steps, sockets, unlimited) -> new Run(sockets, unlimited, false).play(steps));
    }

    @Test
    void theAssetsInvariantsHoldAfterEveryStep() {
        qt().withExamples(Integer.getInteger("dewy.property.examples", 1500) / 3).withShrinkCycles(2000)
                .forAll(steps())
                .checkAssert(steps -> new Run(false, false, true).play(steps));
    }

    /** One dewy on fakes, and what the test knows independently of it. */
    private static final class Run {
        private static final Duration[] WAITS = {Duration.ZERO, Duration.ofMillis(100), Duration.ofSeconds(1),
                Duration.ofSeconds(5), Duration.ofSeconds(25), Duration.ofSeconds(61)};

        final FakeProcesses procs = new FakeProcesses();
        final FakeReleases releases = new FakeReleases("v1");
        final AtomicLong now = new AtomicLong(1_000_000_000L);
        final Set<String> approved = new HashSet<>(Set.of("v1"));
        final List<Request.Rollout> rollouts = new ArrayList<>();
        final Supervisor s;
        final List<String> trace = new ArrayList<>();
        /** Every request dewy's restart queue took, in order. */
        final List<RestartRequest> taken = new ArrayList<>();
        /** Processes the test has made exit (they may wait to be reaped). */
        final Set<Integer> dead = new HashSet<>();
        /** How far into procs.sent the kernel's SIGKILL has been applied. */
        int killsSeen;
        int versions = 1;
        boolean terminated;
        final boolean assets;

        Run(boolean sockets, boolean unlimitedRestarts, boolean assets) {
            this.assets = assets;
            Starter starter = sockets
                    ? new Starter(List.of(new Listener(ListenSpec.parse("127.0.0.1:8080"), 10, 3, 8080)),
                    List.of("PATH=/bin"), "/bin/sh")
                    : new Starter(List.of(), List.of("PATH=/bin"), null);
            Config config = Config.builder(assets ? List.of() : List.of("/app")).gracePeriod(Duration.ofSeconds(10))
                    .readyTimeout(Duration.ofSeconds(20)).readiness(Readiness.notifySocket())
                    .restart(new RestartPolicy(RestartPolicy.Mode.ALWAYS, Duration.ofSeconds(1),
                            unlimitedRestarts ? 0 : 3, Duration.ofMinutes(1))).build();
            procs.release = () -> {
                check(approved.contains(releases.current), "a generation starts on unapproved " + releases.current);
                return releases.current;
            };
            s = new Supervisor(config, starter, procs, now::get, 1, Lifecycle.NONE, null, releases);
            s.restartsForTest().observeForTest(taken::add);
            trace.add("start sockets=" + sockets + " unlimited=" + unlimitedRestarts + " assets=" + assets);
            if (assets) {
                s.runNoApplication(true);
                s.handle(null);
            } else {
                s.start();
            }
            invariants();
        }

        void play(List<Step> steps) {
            for (Step step : steps) {
                if (s.done()) {
                    break;
                }
                trace.add(step.toString());
                apply(step);
                kernelKills();
                invariants();
            }
            if (!assets) {
                anApplicationComesBack();
            }
            finish();
        }

        private void apply(Step step) {
            List<Generation> gens = s.generationsForTest();
            switch (step.kind()) {
                case USR1 -> s.handle(signal(SIGUSR1));
                case HUP -> {
                    int before = procs.sent.size();
                    boolean unapproved = !approved.contains(releases.current);
                    s.handle(signal(SIGHUP));
                    if (unapproved) {
                        check(procs.sent.subList(before, procs.sent.size()).stream()
                                .noneMatch(x -> x.signal() == SIGHUP), "HUP forwarded while current is unapproved");
                    }
                }
                case CRASH -> {
                    List<Generation> alive = gens.stream().filter(g -> !g.exited).toList();
                    if (!alive.isEmpty()) {
                        Generation g = alive.get(step.pick() % alive.size());
                        exit(g.pid, WaitStatus.ofExit(1), step.pick() % 2 == 0);
                    }
                }
                case READY -> {
                    List<Generation> starting = gens.stream().filter(Generation::starting).toList();
                    if (!starting.isEmpty()) {
                        Generation g = starting.get(step.pick() % starting.size());
                        s.notified(procs.send(g.number, "READY=1"));
                    }
                }
                case DEPLOY -> {
                    String v = "v" + (++versions);
                    boolean before = step.pick() % 3 == 0;
                    boolean after = step.pick() % 2 == 0;
                    if (!after) {
                        approved.add(v); // nothing to approve it but the before-hook, which runs before the swap
                    }
                    Request.Rollout r = new Request.Rollout(v, Path.of("/work/releases/.staging-" + v),
                            before ? "before" : null, after ? "after" : null, List.of("DEWY_VERSION=" + v),
                            Duration.ofSeconds(30), Request.HookListener.NONE, new CompletableFuture<>());
                    rollouts.add(r);
                    s.request(r);
                }
                case HOOK_OK, HOOK_FAIL -> {
                    List<Integer> hooks = runningHooks();
                    if (!hooks.isEmpty()) {
                        int pid = hooks.get(step.pick() % hooks.size());
                        boolean ok = step.kind() == Kind.HOOK_OK;
                        List<String> env = procs.checkEnv.get(pid);
                        if (ok && env.contains("DEWY_HOOK=after-deploy-hook")) {
                            approved.add(value(env, "DEWY_VERSION"));
                        }
                        exit(pid, WaitStatus.ofExit(ok ? 0 : 1), true);
                    }
                }
                case TIME -> {
                    now.addAndGet(WAITS[step.pick() % WAITS.length].toNanos());
                    s.handle(null);
                }
                case OLD_EXITS -> {
                    List<Generation> stopping = gens.stream().filter(g -> !g.exited
                            && (g.state() == Generation.State.STOPPING || g.state() == Generation.State.KILLED))
                            .toList();
                    if (!stopping.isEmpty()) {
                        Generation g = stopping.get(step.pick() % stopping.size());
                        exit(g.pid, WaitStatus.ofSignal(SIGTERM), step.pick() % 3 != 0);
                    }
                }
                case GROUP_EMPTIES -> {
                    for (Generation g : gens) {
                        if (g.exited) {
                            procs.groups.remove(g.pid);
                        }
                    }
                    s.handle(signal(17));
                }
                case SPAWN_FAILS -> {
                    if (step.pick() % 2 == 0) {
                        procs.nextSpawnFailure = dewy.posix.SpawnException.system("posix_spawn",
                                "Too many open files");
                    } else {
                        procs.nextNotifyFailure = new java.io.IOException("No such file or directory");
                    }
                }
                case TERM -> {
                    terminated = true;
                    s.handle(signal(SIGTERM));
                }
            }
        }

        /** The final drain: TERM, then every process obliges, until dewy is done. */
        private void finish() {
            if (!s.done()) {
                trace.add("final TERM");
                s.handle(signal(SIGTERM));
            }
            for (int i = 0; i < 50 && !s.done(); i++) {
                for (Generation g : s.generationsForTest()) {
                    if (!g.exited) {
                        exitOnce(g.pid, WaitStatus.ofSignal(SIGTERM));
                    }
                    procs.groups.remove(g.pid);
                }
                for (int pid : runningHooks()) {
                    exitOnce(pid, WaitStatus.ofSignal(SIGTERM));
                }
                s.handle(signal(17));
                now.addAndGet(Duration.ofSeconds(5).toNanos());
                s.handle(null);
            }
            check(s.done(), "dewy never finished its drain");
            for (Request.Rollout r : rollouts) {
                check(r.outcome().isDone(), "rollout " + r.version() + " never completed");
            }
            for (RestartRequest r : taken) {
                check(r.done(), "request " + r + " never completed");
            }
            check(s.restartsForTest().queued().isEmpty(), "requests left: " + s.restartsForTest().queued());
            check(approved.contains(releases.current), "dewy ended with current on unapproved " + releases.current);
            if (assets) {
                check(s.exitStatus() == 0, "dewy assets ended with " + s.exitStatus());
            }
        }

        private void invariants() {
            if (s.done()) {
                return;
            }
            List<Generation> gens = s.generationsForTest();
            if (assets) {
                check(procs.spawned.isEmpty(), "dewy assets started " + procs.spawned);
                check(!s.restartsForTest().settled() || approved.contains(releases.current),
                        "settled with current on unapproved " + releases.current);
                return;
            }
            check(s.applicationOrPendingStart(), "no application and nothing on its way, outside a drain");
            Set<RestartRequest> held = new HashSet<>();
            for (RestartRequest q : s.restartsForTest().queued()) {
                hold(q, held);
            }
            for (RestartRequest r : taken) {
                check(r.done() || held.contains(r), "request " + r + " is neither completed nor held by the queue "
                        + s.restartsForTest().queued());
            }
            Set<Integer> ownNotify = new HashSet<>();
            for (Generation g : gens) {
                if (g.notify != null && !g.notifyClosed) {
                    ownNotify.add(g.notify.fd());
                }
            }
            check(ownNotify.containsAll(procs.notifyOpen.keySet()), "NOTIFY_SOCKETs open " + procs.notifyOpen.keySet()
                    + " but the generations' are " + ownNotify);
            boolean settled = s.restartsForTest().settled();
            List<Generation> serving = gens.stream().filter(Generation::serving).toList();
            if (settled && !terminated) {
                check(serving.size() <= 1, "settled, yet " + serving.size() + " generations serve");
                if (!serving.isEmpty()) {
                    String runs = procs.releaseOf.get(serving.get(serving.size() - 1).pid);
                    check(java.util.Objects.equals(runs, releases.current),
                            "settled: current is " + releases.current + " but the serving generation runs " + runs);
                }
            }
            for (Generation g : gens) {
                check(approved.contains(procs.releaseOf.get(g.pid)),
                        g + " runs unapproved " + procs.releaseOf.get(g.pid));
            }
        }

        private static void hold(RestartRequest r, Set<RestartRequest> held) {
            if (held.add(r)) {
                r.joined.forEach(j -> hold(j, held));
            }
        }

        /** SIGKILL as the kernel does it: every process (or group) dewy sent it to is gone at dewy's next turn. */
        private void kernelKills() {
            while (killsSeen < procs.sent.size()) {
                boolean any = false;
                for (; killsSeen < procs.sent.size(); killsSeen++) {
                    FakeProcesses.Sent x = procs.sent.get(killsSeen);
                    if (x.signal() != dewy.posix.Signals.SIGKILL) {
                        continue;
                    }
                    List<Integer> victims = new ArrayList<>();
                    if (x.target().equals("descendants")) {
                        victims.addAll(procs.children);
                        procs.groups.clear();
                    } else if (x.target().startsWith("-")) {
                        int pgid = Integer.parseInt(x.target().substring(1));
                        victims.add(pgid);
                        procs.groups.remove(pgid);
                    } else if (!x.target().equals("self")) {
                        victims.add(Integer.parseInt(x.target()));
                    }
                    for (int pid : victims) {
                        any |= exitOnce(pid, WaitStatus.ofSignal(dewy.posix.Signals.SIGKILL));
                    }
                }
                if (any) {
                    s.handle(signal(17));
                }
            }
        }

        /** Whether a generation's main process is alive, judged by the process table alone. */
        private boolean anApplicationProcessLives() {
            for (int pid : procs.spawned) {
                if (procs.children.contains(pid) && !dead.contains(pid)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Liveness, wherever the run stopped: with nothing but time passing (hooks time out, backoffs end, what dewy
         * kills dies), an application process is alive again within a bound, or dewy has given up and exited.
         */
        private void anApplicationComesBack() {
            if (terminated || s.done() || anApplicationProcessLives()) {
                return;
            }
            trace.add("no application process: time passes");
            long bound = Duration.ofMinutes(10).toNanos();
            long from = now.get();
            while (!s.done() && !anApplicationProcessLives() && now.get() - from < bound) {
                now.addAndGet(Duration.ofSeconds(1).toNanos());
                s.handle(null);
                kernelKills();
                invariants();
            }
            check(s.done() || anApplicationProcessLives(), "dewy alive with no application process for "
                    + Duration.ofNanos(now.get() - from).toSeconds() + " s of nothing but time passing");
        }

        private List<Integer> runningHooks() {
            List<Integer> hooks = new ArrayList<>();
            for (int pid : procs.checks.keySet()) {
                if (procs.children.contains(pid)) {
                    hooks.add(pid);
                }
            }
            return hooks;
        }

        /** Makes a child exit, unless it already has; true if it did now. */
        private boolean exitOnce(int pid, int status) {
            if (!procs.children.contains(pid) || !dead.add(pid)) {
                return false;
            }
            procs.exit(pid, status);
            return true;
        }

        private void exit(int pid, int status, boolean groupEmpties) {
            exitOnce(pid, status);
            if (groupEmpties) {
                procs.groups.remove(pid);
            }
            s.handle(signal(17));
        }

        private static String value(List<String> env, String name) {
            for (String e : env) {
                if (e.startsWith(name + "=")) {
                    return e.substring(name.length() + 1);
                }
            }
            return null;
        }

        private void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(what + "\n  steps: " + String.join("\n    ", trace));
            }
        }

        private static SignalInfo signal(int signal) {
            return new SignalInfo(signal, SignalInfo.SI_USER, 0);
        }
    }
}
