package dewy.supervisor;

import dewy.cli.Config;
import dewy.cli.Durations;
import dewy.log.Log;
import dewy.posix.SpawnException;
import dewy.posix.Signals;
import dewy.starter.Starter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The one owner of every restart: the first start, USR1, crash restarts, deploys and rollbacks all go through one
 * queue of {@link RestartRequest}s, served one at a time. With sockets a restart overlaps (the new generation
 * starts beside the old, which stops once the new one is ready); without, it is sequential (stop, wait until the
 * old process group is empty, start).
 *
 * <pre>
 *   IDLE --request--> [PREPARING (a deploy's hooks and swap)] --> [BACKOFF (a crash's delay)]
 *        --> [STOPPING_OLD (sequential)] --> STARTING --ready--> IDLE (next request)
 *   STARTING --exited or not ready in time--> IDLE; a deploy rolls back first
 * </pre>
 * A request that arrives before the active one has spawned joins it; after, a USR1 queues (one at most) and runs
 * once the active one has ended. Outside a drain there is always a live generation or a request on its way
 * ({@link #settle}): when the last generation is gone and nothing is pending, the crash policy decides between a
 * crash restart and exiting.
 */
final class Restarts {
    enum Phase { IDLE, PREPARING, BACKOFF, STOPPING_OLD, STARTING }

    private final Config config;
    private final Starter starter;
    private final Clock clock;
    private final Generations generations;
    private final Spawner spawner;
    private final ReadinessWatch readiness;
    private final Stopper stopper;
    private final CrashPolicy crashes;
    private final Lifecycle lifecycle;
    private final Drain drain;
    private final Deployment.Hooks hooks;
    private final Processes processes;

    private final Deque<RestartRequest> pending = new ArrayDeque<>();
    private dewy.metrics.Metrics metrics = dewy.metrics.Metrics.NONE;
    /** Hears every request this queue takes, submitted or made here (tests check that each one completes). */
    private java.util.function.Consumer<RestartRequest> taken = r -> { };
    /** Told when a generation becomes ready, before the older ones are stopped ({@code --proxy}'s backends). */
    private Runnable servingChanged = () -> { };
    private RestartRequest active;
    private Phase phase = Phase.IDLE;
    /** The generation the active request started, while it is STARTING. */
    private Generation starting;
    /** No release deployed yet: nothing to run until the first deploy. */
    private boolean waitingForRelease;
    /** dewy assets: a deploy ends once its release is in place and approved; nothing ever starts. */
    private boolean noApplication;
    /** dewy assets: current names an approved release (it did at start, or a deploy has put one in place). */
    private boolean releaseInPlace;
    /** The status of the newest generation that exited, for the crash policy and dewy's exit. */
    private int lastExitCode;
    private int begun;
    private boolean everServed;

    Restarts(Config config, Starter starter, Clock clock, Generations generations, Spawner spawner,
             ReadinessWatch readiness, Stopper stopper, CrashPolicy crashes, Lifecycle lifecycle, Drain drain,
             Deployment.Hooks hooks, Processes processes) {
        this.config = config;
        this.starter = starter;
        this.clock = clock;
        this.generations = generations;
        this.spawner = spawner;
        this.readiness = readiness;
        this.stopper = stopper;
        this.crashes = crashes;
        this.lifecycle = lifecycle;
        this.drain = drain;
        this.hooks = hooks;
        this.processes = processes;
    }

    // ---- what the supervisor and /status read

    Phase phase() {
        return phase;
    }

    boolean waitingForRelease() {
        return waitingForRelease;
    }

    /** Restarts begun since dewy started. */
    int begun() {
        return begun;
    }

    int crashRestarts() {
        return crashes.total();
    }

    /** A deploy has swapped current and its after-hook has not approved it yet: hold reloads (HUP). */
    boolean holdsReloads() {
        return active != null && active.deployment != null && active.deployment.unapproved();
    }

    /** Nothing under way and nothing queued. */
    boolean settled() {
        return active == null && pending.isEmpty();
    }

    /** A start is under way or queued. */
    boolean startPending() {
        return active != null || !pending.isEmpty();
    }

    long nextDeadline() {
        return phase == Phase.BACKOFF ? active.notBefore : Deadlines.NONE;
    }

    int lastExitCode() {
        return lastExitCode;
    }

    void metrics(dewy.metrics.Metrics m) {
        metrics = m;
    }

    void onServingChanged(Runnable r) {
        servingChanged = r;
    }

    // ---- requests

    void awaitFirstRelease() {
        waitingForRelease = true;
        Log.info("no release yet: the application starts after the first deploy");
    }

    /** dewy assets: deploys swap current and run the hooks; there is no application to start or keep alive. */
    void runNoApplication(boolean inPlace) {
        noApplication = true;
        releaseInPlace = inPlace;
        Log.info("assets only: deploys swap current and run the hooks; no application is started");
    }

    boolean runsNoApplication() {
        return noApplication;
    }

    boolean releaseInPlace() {
        return releaseInPlace;
    }

    /** Queues a request, or joins it to the active one, and starts what can start. */
    void submit(RestartRequest r) {
        taken.accept(r);
        long now = clock.nanoTime();
        if (drain.ending()) {
            abandon(r, "dewy is stopping");
            return;
        }
        if (noApplication && r.reason != RestartRequest.Reason.DEPLOY) {
            Log.info("restart ignored: dewy assets runs no application", "reason", r.reason.label);
            r.complete(false, "no application");
            return;
        }
        if (waitingForRelease && r.reason != RestartRequest.Reason.DEPLOY) {
            Log.info("restart ignored: no release deployed yet");
            r.complete(false, "no release deployed yet");
            return;
        }
        if (active != null && !spawned()) {
            if (r.reason == RestartRequest.Reason.DEPLOY && phase == Phase.BACKOFF) {
                // a deploy during a crash backoff: nothing serves, so start the new release now, for both
                Log.info("deploy takes over the pending restart", "version", r.deployment.version(),
                        "restart", active.reason.label);
                r.joined.add(active);
                r.joined.addAll(active.joined);
                active.joined.clear();
                active = null;
                phase = Phase.IDLE;
                metrics.backoffEnded();
                pending.addFirst(r);
                pump(now);
                return;
            }
            if (r.reason != RestartRequest.Reason.DEPLOY) {
                join(r, now);
                return;
            }
        }
        if (active != null && r.reason == RestartRequest.Reason.USR1) {
            for (RestartRequest p : pending) {
                if (p.reason == RestartRequest.Reason.USR1) {
                    Log.debug("restart already queued");
                    p.joined.add(r);
                    return;
                }
            }
            Log.info("restart already in progress; one more queued");
        }
        pending.addLast(r);
        pump(now);
    }

    private void join(RestartRequest r, long now) {
        active.joined.add(r);
        if (phase == Phase.BACKOFF && r.reason == RestartRequest.Reason.USR1) {
            Log.info("restart requested during the crash backoff; starting now");
            launch(now);
        } else if (active.deployment != null && active.deployment.unapproved()) {
            Log.info("restart waits for the deploy's after-hook", "reason", r.reason.label,
                    "version", active.deployment.version());
        } else {
            Log.info("restart joins the one under way: its new generation starts after this signal", "reason",
                    r.reason.label, "with", active.reason.label);
        }
    }

    /** The active request has a generation (STARTING): later requests must not join it. */
    private boolean spawned() {
        return phase == Phase.STARTING;
    }

    private void pump(long now) {
        while (active == null && !pending.isEmpty() && !drain.ending()) {
            begin(pending.pollFirst(), now);
        }
    }

    private void begin(RestartRequest r, long now) {
        active = r;
        if (r.deployment != null) {
            phase = Phase.PREPARING;
            RestartRequest self = r;
            r.deployment.prepare(hooks, () -> {
                if (active == self && noApplication) {
                    end(true, "in place"); // assets: the approved release in current is the whole deploy
                } else if (active == self) {
                    launch(clock.nanoTime());
                }
            }, why -> {
                if (active == self) {
                    deployFailedBeforeStart(why);
                }
            });
            return;
        }
        if (r.notBefore != Deadlines.NONE && now < r.notBefore) {
            phase = Phase.BACKOFF;
            return;
        }
        launch(now);
    }

    /** A deadline passed: a crash backoff ends. */
    void tick(long now) {
        if (phase == Phase.BACKOFF && Deadlines.due(active.notBefore, now)) {
            launch(now);
        }
    }

    private void launch(long now) {
        RestartRequest r = active;
        if (phase == Phase.BACKOFF) {
            metrics.backoffEnded();
        }
        boolean serving = generations.anyServing();
        if (serving) {
            Optional<SpawnException> problem = spawner.checkRunnable();
            if (problem.isPresent()) {
                Log.error("restart refused; the running generation keeps serving", "reason", r.reason.label,
                        "error", problem.get().describe());
                lifecycle.restartFailed(r.reason.label, problem.get().describe());
                end(false, problem.get().describe());
                return;
            }
        }
        if (r.reason != RestartRequest.Reason.START) {
            begun++;
            metrics.restartBegun(r.reason.label);
        }
        Generation from = generations.newestServing();
        if (!overlapping() && !generations.isEmpty()) {
            if (serving) {
                Log.info("restarting", "generation", from.number, "reason", r.reason.label, "signal",
                        Signals.name(config.restartSignal()), "grace", Durations.format(config.gracePeriod()));
            }
            for (Generation g : generations.list()) {
                if (g.serving()) {
                    stopper.stop(g, config.restartSignal(), now);
                }
            }
            phase = Phase.STOPPING_OLD;
            return;
        }
        if (serving) {
            Log.info("restarting", "generation", from.number, "reason", r.reason.label, "ready", config.readiness(),
                    "ready_timeout", Durations.format(config.readyTimeout()));
        }
        spawnNow(now);
    }

    /** Sequential restarts: every old generation is gone, start the next. */
    void step(long now) {
        if (phase == Phase.STOPPING_OLD && generations.isEmpty()) {
            spawnNow(now);
        }
    }

    private void spawnNow(long now) {
        RestartRequest r = active;
        Spawner.Result result = spawner.spawn(r.reason.label);
        if (!result.started()) {
            spawnFailed(result.failure(), now);
            return;
        }
        Generation g = result.generation();
        generations.add(g);
        phase = Phase.STARTING;
        starting = g;
        if (readiness.arm(g, now)) {
            ready(g, now);
        }
    }

    /**
     * The one place a failed spawn is handled. With another generation serving, it keeps serving and the request
     * fails. Otherwise the command's own problems (127, 126) at the first start end dewy, and everything else is a
     * crash: retried with the crash backoff, until the crash policy gives up and dewy exits (125 when the system
     * failed the spawn), so dewy never sits alive with no application and nothing on its way.
     */
    private void spawnFailed(SpawnException e, long now) {
        RestartRequest r = active;
        String why = e.describe();
        if (generations.anyServing()) {
            Log.error("restart failed; the running generation keeps serving", "reason", r.reason.label, "error", why);
            lifecycle.restartFailed(r.reason.label, why);
            end(false, why);
            return;
        }
        if (r.reason == RestartRequest.Reason.START) {
            Log.error("cannot start the application", "error", why);
        } else {
            Log.error("restart failed: cannot start the application", "reason", r.reason.label, "error", why);
            lifecycle.restartFailed(r.reason.label, why);
        }
        if (r.deployment != null) {
            rolledBack(r, "cannot start the application: " + why, now);
            return;
        }
        lastExitCode = e.exitCode();
        end(false, why);
        if (r.reason == RestartRequest.Reason.START && e.commandProblem()) {
            exit(e.exitCode(), now); // a command that is not there will not be there in a second either
            return;
        }
        // Not the application's exit, so whatever --restart says: retry within the crash policy's intensity.
        long delay = crashes.onCrash(now);
        if (delay < 0) {
            Log.error("cannot start the application: giving up", "restarts", crashes.recent(), "window",
                    Durations.format(config.restart().window()), "code", e.exitCode());
            exit(e.exitCode(), now);
            return;
        }
        metrics.crashed(delay / 1e9);
        Log.warn("cannot start the application; retrying after a backoff", "backoff",
                Durations.format(Duration.ofNanos(delay)), "crashes_in_window", crashes.recent());
        RestartRequest retry = made(RestartRequest.of(RestartRequest.Reason.CRASH));
        retry.notBefore = now + delay;
        pending.addFirst(retry);
        pump(now);
    }

    // ---- what happens to the starting generation

    /** A generation became ready. The active request's one completes it; older ones stop. */
    void ready(Generation g, long now) {
        g.enter(Generation.State.READY, Deadlines.NONE);
        readiness.end(g);
        if (g.watchdogDeadline != Deadlines.NONE) { // it pinged while starting: its watchdog runs from now
            g.watchdogDeadline = now + starter.watchdogUsec() * 1000;
        }
        g.readyMillis = clock.epochMillis();
        Log.info("generation ready", "generation", g.number, "pid", g.pid,
                "ready_ms", (now - g.startedNanos) / 1_000_000);
        metrics.generationReady((now - g.startedNanos) / 1e9);
        boolean ours = active != null && g == starting;
        if (ours && active.deployment != null) {
            active.deployment.deployed(); // before serving(): the scheduler's "deployed" and the notification agree
        }
        lifecycle.serving(g.number, g.pid, g.reason, !everServed);
        everServed = true;
        if (drain.ending()) {
            return; // the drain stops everyone
        }
        servingChanged.run(); // new connections go to g before the old generations hear the restart signal
        boolean replaced = false;
        for (Generation old : generations.servingOlderThan(g)) {
            Log.info("stopping the previous generation", "generation", old.number, "pid", old.pid,
                    "signal", Signals.name(config.restartSignal()), "grace", Durations.format(config.gracePeriod()));
            stopper.stop(old, config.restartSignal(), now);
            replaced = true;
        }
        if (replaced || (ours && active.reason != RestartRequest.Reason.START)) {
            Log.info("restarted", "generation", g.number, "pid", g.pid);
        }
        if (starter.hasListeners()) {
            processes.inspectListeners(g.number, g.pid); // after the swap, and off the loop: never on its path
        }
        if (ours) {
            end(true, "ready");
        }
    }

    /**
     * A ready generation missed its relayed watchdog: it hangs. It gets SIGABRT (systemd's WatchdogSignal=), then
     * SIGKILL after the grace period, and a new one starts as after a crash, within the crash policy, whatever
     * --restart says (the watchdog is an explicit opt-in).
     */
    void hung(Generation g, long now) {
        g.watchdogDeadline = Deadlines.NONE;
        Log.error("generation missed its watchdog; stopping it with SIGABRT and restarting as a crash",
                "generation", g.number, "pid", g.pid, "watchdog_usec", starter.watchdogUsec());
        stopper.stop(g, Signals.SIGABRT, now);
        lifecycle.restartFailed("crash", "generation " + g.number + " missed its watchdog");
        if (drain.ending()) {
            return;
        }
        long delay = crashes.onCrash(now);
        if (delay < 0) {
            Log.error("crash loop: giving up and exiting", "restarts", crashes.recent(), "window",
                    Durations.format(config.restart().window()));
            exit(128 + Signals.SIGABRT, now);
            return;
        }
        metrics.crashed(delay / 1e9);
        RestartRequest crash = made(RestartRequest.of(RestartRequest.Reason.CRASH));
        crash.notBefore = now + delay;
        pending.addLast(crash);
        pump(now);
    }

    /** A STARTING generation's main process exited before it was ready. */
    void exitedBeforeReady(Generation g, String why, long now) {
        if (g != starting || active == null) {
            return;
        }
        RestartRequest r = active;
        boolean othersServe = generations.anyServing();
        if (othersServe) {
            Log.error("restart failed; the running generation keeps serving", "generation", g.number, "pid", g.pid,
                    "reason", why);
            lifecycle.restartFailed(g.reason, why);
            end(false, why);
            return;
        }
        if (r.deployment != null) {
            Log.error("deployed release failed; rolling back", "generation", g.number, "pid", g.pid, "reason", why);
            lifecycle.restartFailed(g.reason, why);
            rolledBack(r, why, now);
            return;
        }
        end(false, why); // settle() sees nothing serving and applies the crash policy
    }

    /** A STARTING generation missed --ready-timeout. */
    void notReadyInTime(Generation g, long now) {
        String why = "not ready within " + Durations.format(config.readyTimeout());
        g.clearDeadline();
        if (g != starting || active == null) {
            return;
        }
        readiness.end(g);
        RestartRequest r = active;
        boolean othersServe = !generations.servingOlderThan(g).isEmpty();
        if (othersServe) {
            Log.error("restart failed; the running generation keeps serving", "generation", g.number, "pid", g.pid,
                    "reason", why);
            lifecycle.restartFailed(g.reason, why);
            stopper.stop(g, config.stopSignal(), now);
            end(false, why);
        } else if (r.deployment != null) {
            Log.error("deployed release not ready; rolling back", "generation", g.number, "pid", g.pid,
                    "reason", why);
            lifecycle.restartFailed(g.reason, why);
            stopper.stop(g, config.stopSignal(), now);
            rolledBack(r, why, now);
        } else {
            Log.warn("generation not ready in time; it keeps running, /readyz stays 503", "generation", g.number,
                    "pid", g.pid, "ready_timeout", Durations.format(config.readyTimeout()));
            end(false, why);
        }
    }

    /** A deploy failed with nothing else serving: current goes back, then the release that worked starts. */
    private void rolledBack(RestartRequest r, String why, long now) {
        if (!r.deployment.hadPrevious()) {
            waitingForRelease = true;
            end(false, why, null);
            Log.info("no release yet: the application starts after the first deploy");
            return;
        }
        // the crash policy does not apply: the release that worked starts again at once
        end(false, why, made(RestartRequest.of(RestartRequest.Reason.ROLLBACK)));
    }

    private void deployFailedBeforeStart(String why) {
        Log.error("deploy failed before its restart; the running version keeps serving", "version",
                active.deployment.version(), "error", why);
        end(false, why);
    }

    /**
     * The active request ends. Joined requests share a success. After a failure, a USR1 that joined or queued
     * behind a deploy still runs (the new release failed, not the USR1); behind a failed USR1 it is dropped, as the
     * same command would fail again.
     */
    private void end(boolean ok, String why) {
        end(ok, why, null);
    }

    /** {@link #end(boolean, String)}, with {@code next} (a rollback) first in the queue; a USR1 to run joins it. */
    private void end(boolean ok, String why, RestartRequest next) {
        RestartRequest r = active;
        active = null;
        phase = Phase.IDLE;
        starting = null;
        if (r.deployment != null && ok) {
            waitingForRelease = false;
            releaseInPlace = true;
            r.deployment.deployed();
        } else if (r.deployment != null) {
            r.deployment.failed(why); // current goes back before anything else can start
        }
        r.complete(ok, why);
        boolean deployFailed = !ok && r.reason == RestartRequest.Reason.DEPLOY;
        for (RestartRequest j : r.joined) {
            if (ok || !deployFailed || j.reason != RestartRequest.Reason.USR1 || waitingForRelease) {
                j.complete(ok, ok ? why : "the restart it joined failed: " + why);
            } else if (next != null) {
                next.joined.add(j);
            } else {
                pending.addFirst(j);
            }
        }
        if (next != null) {
            pending.addFirst(next);
        }
        if (!ok && !deployFailed && r.reason == RestartRequest.Reason.USR1) {
            pending.removeIf(p -> {
                if (p.reason != RestartRequest.Reason.USR1) {
                    return false;
                }
                Log.info("queued restart dropped with the failed one");
                p.complete(false, "dropped with the failed restart");
                p.joined.forEach(j -> j.complete(false, "dropped with the failed restart"));
                return true;
            });
        }
        pump(clock.nanoTime());
    }

    // ---- the invariant

    /**
     * Outside a drain and before the first release, there is always a generation that serves or a request on its
     * way. When neither holds, the application has gone by itself: the restart policy and the crash policy decide
     * between a crash restart after a backoff and exiting with its status.
     */
    void settle(long now) {
        if (drain.ending() || noApplication || waitingForRelease || generations.anyServing() || startPending()) {
            return;
        }
        int code = lastExitCode;
        if (!config.restart().restartsAfter(code)) {
            exit(code, now);
            return;
        }
        long delay = crashes.onCrash(now);
        if (delay < 0) {
            Log.error("crash loop: giving up and exiting with the application's status", "restarts",
                    crashes.recent(), "window", Durations.format(config.restart().window()), "code", code);
            exit(code, now);
            return;
        }
        metrics.crashed(delay / 1e9);
        Log.warn("application exited; restarting after a backoff", "code", code,
                "backoff", Durations.format(Duration.ofNanos(delay)), "policy", config.restart().mode().flag(),
                "crashes_in_window", crashes.recent());
        RestartRequest crash = made(RestartRequest.of(RestartRequest.Reason.CRASH));
        crash.notBefore = now + delay;
        pending.addLast(crash);
        pump(now);
    }

    /** A generation's main process exited (reaped); its status counts when it is the newest. */
    void recordExit(Generation g, int code) {
        Generation newest = generations.newestServing();
        if (newest == null || newest.number <= g.number) {
            lastExitCode = code;
        }
    }

    // ---- the drain

    /**
     * dewy gives up (the crash policy, a command that is not there): it ends with {@code code}, and nothing queued
     * will run, so every request ends now too (a rollout's scheduler hears "abandoned", current goes back).
     */
    private void exit(int code, long now) {
        drain.exitWith(code, now);
        abandonAll("dewy is exiting");
    }

    /** Every request under way or queued ends now; a deploy puts current back first. */
    void abandonAll(String why) {
        RestartRequest r = active;
        active = null;
        phase = Phase.IDLE;
        starting = null;
        if (r != null) {
            abandon(r, why);
        }
        while (!pending.isEmpty()) {
            abandon(pending.pollFirst(), why);
        }
    }

    private static void abandon(RestartRequest r, String why) {
        if (r.deployment != null) {
            r.deployment.abandoned(why);
        }
        r.complete(false, why);
        for (RestartRequest j : r.joined) {
            abandon(j, why);
        }
    }

    /** The sockets dewy holds (its own --port or systemd's), or its proxy, outlive a generation. */
    private boolean overlapping() {
        return starter.hasListeners() || config.proxy() != null;
    }

    private RestartRequest made(RestartRequest r) {
        taken.accept(r);
        return r;
    }

    /** For the property check: hear every request, so that none can be lost without being completed. */
    void observeForTest(java.util.function.Consumer<RestartRequest> listener) {
        taken = listener;
    }

    /** For tests and the property check: what is under way and queued. */
    List<RestartRequest> queued() {
        List<RestartRequest> all = new java.util.ArrayList<>();
        if (active != null) {
            all.add(active);
        }
        all.addAll(pending);
        return all;
    }
}
