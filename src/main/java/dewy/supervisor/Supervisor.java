package dewy.supervisor;

import static dewy.posix.Signals.SIGCHLD;
import static dewy.posix.Signals.SIGHUP;
import static dewy.posix.Signals.SIGUSR1;

import dewy.cli.Config;
import dewy.cli.Durations;
import dewy.log.Log;
import dewy.posix.Posix;
import dewy.posix.SignalInfo;
import dewy.posix.Signals;
import dewy.posix.WaitStatus;
import dewy.starter.NotifyMessage;
import dewy.starter.Starter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Everything dewy's loop owns, fed one event at a time by the {@link EventLoop}: a signal, a readiness message, a
 * request from another thread, a deadline. Each event is dispatched to the unit that owns what it changes:
 * <ul>
 *   <li>{@link Generation}: one generation's states and deadlines; {@link ReadinessWatch} and {@link Stopper}
 *       move it along;</li>
 *   <li>{@link Restarts}: the queue of restart requests (start, USR1, crash, deploy, rollback) and their
 *       coordination, overlapping with sockets, sequential without;</li>
 *   <li>{@link Deployment}: a rollout's hooks and the {@code current} swap;</li>
 *   <li>{@link CrashPolicy}: backoff and restart intensity;</li>
 *   <li>{@link Drain}: how dewy ends;</li>
 *   <li>{@link Tasks}: the hooks' processes.</li>
 * </ul>
 * After every event: reap, tick the deadlines, let the restart queue and the drain move on, then check that
 * dewy is never alive with no application and nothing on its way ({@link Restarts#settle}).
 */
public final class Supervisor {
    /** dewy itself failed (as for its start-up failures). */
    static final int EXIT_DEWY_FAILED = 125;

    private final Config config;
    private final Starter starter;
    private final Processes processes;
    private final Clock clock;
    private final int selfPid;
    private final boolean pid1;
    private final Lifecycle lifecycle;
    private final Consumer<Status> statusSink;
    private final ReleaseLink releases;

    private final Generations generations;
    private final ReadinessWatch readiness;
    private final Stopper stopper;
    private final Tasks tasks;
    private final Drain drain;
    private final Restarts restarts;

    private boolean childrenLeft = true;
    private dewy.metrics.Metrics metrics = dewy.metrics.Metrics.NONE;
    /** USR1 reloads, for systemd's notify-reload: begun, still under way, and how the last one went. */
    private int reloads;
    private int reloadsUnderWay;
    private long reloadStartedUsec;
    private String reloadFailure;
    /** WATCHDOG=1 to systemd from the loop's own turn, so a stuck loop stops pinging; null without WATCHDOG_USEC. */
    private Runnable watchdogPing;
    private long watchdogEvery;
    private long watchdogNext = Deadlines.NONE;
    /** A HUP that arrived while a deploy's swap was not approved yet: forwarded once it is decided. */
    private boolean heldHup;
    private Status published;
    /** {@code --proxy}: where the loop publishes the backend ports new connections go to; null without. */
    private Consumer<List<Integer>> backends;
    private List<Integer> publishedBackends = List.of();

    /**
     * @param lifecycle  told of drains (first, to stop the deploy scheduler), ready generations and failed
     *                   restarts; on the loop's thread
     * @param statusSink gets a fresh {@link Status} after every event that changed it (called on the loop's thread);
     *                   null when nobody reads it
     * @param releases   the work directory's current link for pull deploys, or null without them
     */
    public Supervisor(Config config, Starter starter, Processes processes, Clock clock, int selfPid,
                      Lifecycle lifecycle, Consumer<Status> statusSink, ReleaseLink releases) {
        this.config = config;
        this.starter = starter;
        this.processes = processes;
        this.clock = clock;
        this.selfPid = selfPid;
        this.pid1 = selfPid == 1;
        this.lifecycle = lifecycle;
        this.statusSink = statusSink;
        this.releases = releases;
        this.generations = new Generations(processes);
        this.readiness = new ReadinessWatch(config, starter, processes);
        this.stopper = new Stopper(config, processes, readiness);
        this.tasks = new Tasks(processes);
        this.drain = new Drain(config, processes, generations, stopper);
        Deployment.Hooks hooks = (name, command, env, timeout, exit) -> {
            List<String> all = new ArrayList<>(starter.baseEnv());
            all.addAll(env);
            tasks.start(name, command, all, timeout, clock.nanoTime(), exit);
        };
        this.restarts = new Restarts(config, starter, clock, generations, new Spawner(config, starter, processes, clock),
                readiness, stopper, new CrashPolicy(config.restart()), lifecycle, drain, hooks, processes);
    }

    public Supervisor(Config config, Starter starter, Processes processes, Clock clock, int selfPid,
                      Lifecycle lifecycle, Consumer<Status> statusSink) {
        this(config, starter, processes, clock, selfPid, lifecycle, statusSink, null);
    }

    /** Starts the first generation. When its command cannot start, dewy is done with 127 or 126. */
    public void start() {
        restarts.submit(RestartRequest.of(RestartRequest.Reason.START));
        Log.debug("arguments", "argv", String.join(" ", config.command())); // only at debug: secrets
        publish(); // the loop's first turn reaps and ticks: dewy's own start-up lines come first
    }

    /**
     * Pull deploys before the first release: no application yet. The first rollout starts it; a drain meanwhile
     * exits 0.
     */
    public void awaitFirstRelease() {
        restarts.awaitFirstRelease();
        publish();
    }

    /**
     * dewy assets: no application, ever; deploys swap current and run the hooks, a drain exits 0. {@code inPlace}:
     * current already names a release (/readyz says ready until a deploy puts one there).
     */
    public void runNoApplication(boolean inPlace) {
        restarts.runNoApplication(inPlace);
        publish();
    }

    /**
     * {@code --proxy}: the loop publishes the newest ready generation's port here (on the loop's thread, before the
     * older generations get the restart signal), and nothing once none is ready; set before {@link #start}.
     */
    public void backends(Consumer<List<Integer>> sink) {
        backends = sink;
        restarts.onServingChanged(this::publishBackends);
    }

    private void publishBackends() {
        if (backends == null) {
            return;
        }
        Generation newest = null;
        for (Generation g : generations.list()) {
            if (g.state() == Generation.State.READY && g.backendPort != 0 && !g.exited) {
                newest = g;
            }
        }
        List<Integer> now = newest == null ? List.of() : List.of(newest.backendPort);
        if (!now.equals(publishedBackends)) {
            publishedBackends = now;
            Log.debug("proxy backends", "ports", now.toString());
            backends.accept(now);
        }
    }

    /** Where the loop counts what happens (/metrics); set before {@link #start}. */
    public void metrics(dewy.metrics.Metrics m) {
        metrics = m;
        restarts.metrics(m);
    }

    /**
     * systemd's watchdog: {@code ping} runs on the loop's thread every {@code every} (half of WATCHDOG_USEC), and
     * only while the loop turns.
     */
    public void watchdog(java.time.Duration every, Runnable ping) {
        watchdogEvery = every.toNanos();
        watchdogPing = ping;
        watchdogNext = clock.nanoTime();
    }

    public boolean done() {
        return drain.done();
    }

    /** The application's status as a shell gives it: its exit code or 128+signal; 126/127 if it never started. */
    public int exitStatus() {
        return drain.status();
    }

    /** The sd_notify sockets the loop must watch, one per generation whose main process runs. */
    public int[] notifyFds() {
        return generations.notifyFds();
    }

    /** How long the loop may wait for the next event before a deadline is due; negative means no deadline. */
    public long waitNanos() {
        long next = Deadlines.earliest(drain.nextDeadline(), restarts.nextDeadline());
        next = Deadlines.earliest(next, tasks.nextDeadline());
        next = Deadlines.earliest(next, watchdogNext);
        long now = clock.nanoTime();
        for (Generation g : generations.list()) {
            next = Deadlines.earliest(next, g.nextDeadline());
            if (g.exited && restarts.phase() == Restarts.Phase.STOPPING_OLD) { // waiting for its group to empty
                next = Deadlines.earliest(next, now + GROUP_RECHECK.toNanos());
            }
        }
        return next == Deadlines.NONE ? -1 : Math.max(0, next - now);
    }

    /** While a stopped generation's group still has members that are not dewy's children, look again this often. */
    static final java.time.Duration GROUP_RECHECK = java.time.Duration.ofMillis(50);

    /** One turn of the loop: the signal that arrived (null when the wait timed out), then reaping, then deadlines. */
    public void handle(SignalInfo signal) {
        if (signal != null) {
            onSignal(signal);
        }
        afterEvent();
    }

    /** Datagrams arrived on the NOTIFY_SOCKET with this descriptor. */
    public void notified(int fd) {
        Generation g = generations.byNotifyFd(fd);
        if (g != null) {
            for (String datagram : processes.readNotify(g.notify, g.pid)) {
                onNotify(g, NotifyMessage.parse(datagram));
            }
        }
        afterEvent();
    }

    /** Work another thread posted to the {@link Inbox}. */
    public void request(Request request) {
        if (request instanceof Request.Rollout r) {
            onRollout(r);
        } else if (request instanceof Request.Healthy h) {
            for (Generation g : generations.list()) {
                if (g.number == h.generation() && g.starting() && !g.exited) {
                    restarts.ready(g, clock.nanoTime());
                }
            }
        }
        afterEvent();
    }

    private void afterEvent() {
        Posix.Reaped reaped = processes.reap();
        childrenLeft = reaped.childrenLeft();
        for (Posix.Exit exit : reaped.exits()) {
            onExit(exit);
        }
        long now = clock.nanoTime();
        tasks.tick(now);
        tickGenerations(now);
        restarts.tick(now);
        drain.tick(now);
        generations.dropEmpty();
        restarts.step(clock.nanoTime());
        restarts.settle(clock.nanoTime());
        drain.advance(clock.nanoTime(), childrenLeft);
        publishBackends();
        if (heldHup && !restarts.holdsReloads()) {
            heldHup = false;
            Log.info("forwarding the HUP held during the deploy's after-hook");
            forward(SIGHUP);
        }
        publish();
        long after = clock.nanoTime();
        if (watchdogPing != null && Deadlines.due(watchdogNext, after)) {
            watchdogNext = after + watchdogEvery;
            watchdogPing.run();
        }
    }

    // ---- signals

    private void onSignal(SignalInfo info) {
        int sig = info.signo();
        metrics.signal(info.name());
        Log.debug("PID received signal", "pid", selfPid, "signal", info.name(), "sender", info.sender());
        if (Signals.SELF_GENERATED.contains(sig)
                && (info.code() == SignalInfo.SI_KERNEL || info.sender() == selfPid)) {
            Log.debug("not forwarded: the kernel sent it about dewy's own I/O or limits", "signal", info.name());
            return;
        }
        if (sig == SIGCHLD) {
            return; // reaping follows every event
        }
        if (sig == SIGUSR1) {
            if (drain.ending()) {
                Log.info("restart ignored: dewy is draining");
            } else {
                reload();
            }
        } else if (Signals.DRAIN.contains(sig)) {
            drain(info.name());
        } else if (sig == SIGHUP && restarts.holdsReloads()) {
            heldHup = true;
            Log.info("HUP held until the deploy's after-hook approves or refuses the new release");
        } else {
            forward(sig);
            if (Signals.JOB_STOP.contains(sig) && !pid1) {
                Log.debug("stopping dewy too, so the shell's job control sees the job stop", "signal", info.name());
                processes.stopSelf();
            }
        }
    }

    /** To every live generation's main process: during a restart the old one must reload too (HUP) until gone. */
    private void forward(int sig) {
        boolean any = false;
        for (Generation g : generations.list()) {
            if (g.exited) {
                continue;
            }
            any = true;
            if (stopper.signal(g, sig)) {
                Log.debug("forwarded", "signal", Signals.name(sig), "generation", g.number, "pid", g.pid);
            } else {
                Log.debug("application already gone", "signal", Signals.name(sig), "pid", g.pid);
            }
        }
        if (!any) {
            Log.debug("no application to forward to", "signal", Signals.name(sig));
        }
    }

    /** A USR1 restart; one begun while another is under way belongs to the same reload for systemd. */
    private void reload() {
        if (reloadsUnderWay == 0) {
            reloads++;
            reloadStartedUsec = clock.nanoTime() / 1000; // CLOCK_MONOTONIC: what System.nanoTime reads on Linux
            reloadFailure = null;
        }
        reloadsUnderWay++;
        restarts.submit(new RestartRequest(RestartRequest.Reason.USR1, null, (request, ok, why) -> {
            reloadsUnderWay--;
            if (!ok) {
                reloadFailure = why;
            }
        }));
    }

    private void drain(String signalName) {
        long now = clock.nanoTime();
        if (!drain.draining()) {
            Log.info("draining", "signal", signalName, "stop_signal", Signals.name(config.stopSignal()),
                    "drain_delay", Durations.format(config.drainDelay()), "grace",
                    Durations.format(config.gracePeriod()));
            lifecycle.draining(signalName); // first: the deploy scheduler stops before anything else happens
            restarts.abandonAll("dewy is stopping"); // a deploy under way puts current back
            tasks.stopAll(config.stopSignal());
        }
        drain.begin(signalName, now);
    }

    // ---- deploys

    private void onRollout(Request.Rollout r) {
        if (releases == null) {
            r.outcome().complete(new Request.Outcome(Request.Result.FAILED, "no work directory", null, null));
            return;
        }
        Log.info("deploy requested", "version", r.version());
        restarts.submit(new RestartRequest(RestartRequest.Reason.DEPLOY, new Deployment(r, releases),
                RestartRequest.Completion.NONE));
    }

    // ---- readiness

    private void onNotify(Generation g, NotifyMessage message) {
        // The relayed watchdog is armed by the generation's first WATCHDOG=1: one that never pings is never judged.
        if (message.watchdog() != NotifyMessage.Watchdog.NONE && starter.watchdogUsec() > 0 && g.serving()) {
            long now = clock.nanoTime();
            g.watchdogDeadline = message.watchdog() == NotifyMessage.Watchdog.TRIGGER ? now
                    : now + starter.watchdogUsec() * 1000;
        }
        if (message.status() != null) {
            g.statusText = message.status();
            Log.debug("generation status", "generation", g.number, "status", message.status());
        }
        if (message.stopping() && !g.announcedStopping) {
            g.announcedStopping = true;
            Log.info("generation is stopping (STOPPING=1)", "generation", g.number, "pid", g.pid);
        }
        if (message.ready() && g.starting()) {
            restarts.ready(g, clock.nanoTime());
        }
    }

    private void tickGenerations(long now) {
        for (Generation g : generations.list()) {
            switch (readiness.tick(g, now)) {
                case READY -> restarts.ready(g, now);
                case TIMED_OUT -> restarts.notReadyInTime(g, now);
                case NOTHING -> {
                }
            }
            if (g.ready() && Deadlines.due(g.watchdogDeadline, now)) {
                restarts.hung(g, now);
            }
            if (g.state() == Generation.State.STOPPING && Deadlines.due(g.deadline(), now)) {
                Log.warn("generation did not stop within the grace period; sending SIGKILL", "generation",
                        g.number, "pgid", g.pid, "grace", Durations.format(config.gracePeriod()));
                stopper.kill(g, now);
            } else if (g.state() == Generation.State.KILLED && Deadlines.due(g.deadline(), now)) {
                Log.error("generation survived SIGKILL; no longer waiting for it", "generation", g.number,
                        "pgid", g.pid);
                generations.drop(g);
            }
        }
    }

    // ---- exits

    private void onExit(Posix.Exit exit) {
        if (tasks.reaped(exit.pid(), exit.status())) {
            return;
        }
        Generation probed = ReadinessWatch.probeOwner(generations.list(), exit.pid());
        if (probed != null) {
            if (readiness.probeExited(probed, exit.status(), clock.nanoTime())) {
                restarts.ready(probed, clock.nanoTime());
            }
            return;
        }
        Generation g = generations.byPid(exit.pid());
        if (g == null || g.exited) {
            Log.debug("reaped", "pid", exit.pid(), "status", WaitStatus.describe(exit.status()));
            return;
        }
        int raw = WaitStatus.shellCode(exit.status());
        int code = config.counted(raw); // --success-exit-status: a JVM's 143 on TERM counts as 0
        if (g.stopSince != Deadlines.NONE) {
            metrics.generationDrained((clock.nanoTime() - g.stopSince) / 1e9, g.state() == Generation.State.KILLED);
        }
        boolean wasStarting = g.starting();
        boolean wasServing = g.serving();
        g.exited = true;
        g.exitCode = code;
        generations.closeNotify(g);
        if (code == raw) {
            Log.info("generation exited", "generation", g.number, "pid", g.pid,
                    "status", WaitStatus.describe(exit.status()), "code", code);
        } else {
            Log.info("generation exited", "generation", g.number, "pid", g.pid,
                    "status", WaitStatus.describe(exit.status()), "code", raw, "counts_as", code);
        }
        long now = clock.nanoTime();
        if (drain.ending()) {
            drain.recordExit(g, code);
            return;
        }
        restarts.recordExit(g, code);
        if (!(wasStarting && generations.anyServing())) {
            // A new generation that failed while the old one serves on is not the application's status: a rolled-back
            // release's 3 must not become dewy's exit when the generation that served exits 0 at the drain.
            drain.recordExit(g, code);
        }
        stopper.stopLeftovers(g, now);
        hintIfItBindsItself(g, code, wasStarting, now);
        if (wasStarting) {
            restarts.exitedBeforeReady(g, "exited before it was ready (" + WaitStatus.describe(exit.status()) + ")",
                    now);
        } else if (wasServing && generations.anyServing()) {
            Log.warn("the serving generation exited while a newer one starts", "generation", g.number);
        }
    }

    /**
     * go-server-starter's issues #18 and #22: an application that binds the port itself fails with EADDRINUSE
     * because dewy holds the port, and a supervisor without backoff restarts it forever. dewy cannot see the bind.
     * It sees an exit that failed early: before the generation was ready, or (since {@code delay:} readiness can
     * count a slow JVM as ready seconds before its bind fails) before any generation has run for a whole
     * {@code --restart-window}. Then it says what the likely cause is, whatever the readiness mode.
     */
    private void hintIfItBindsItself(Generation g, int code, boolean wasStarting, long now) {
        if (!starter.hasListeners() || code == 0) {
            return;
        }
        long window = config.restart().window().toNanos();
        longestRun = Math.max(longestRun, now - g.startedNanos);
        for (Generation other : generations.list()) {
            if (!other.exited) {
                longestRun = Math.max(longestRun, now - other.startedNanos);
            }
        }
        if (wasStarting || longestRun < window) {
            Log.warn("the application exited " + (wasStarting ? "before it was ready" : "soon after it started")
                    + "; if it binds its port itself, that fails with \"address already in use\" because dewy "
                    + "holds the port: take the socket from SERVER_STARTER_PORT, LISTEN_FDS or fd 0 "
                    + "(System.inheritedChannel(); Spring Boot: dev.dewy:dewy-spring-boot-starter)",
                    "ports", starter.listeners().size());
        }
    }

    /** The longest any generation has run, as far as dewy has looked (for the hint above). */
    private long longestRun;

    // ---- what operators read

    /** dewy-level phase for /status: waiting, running, backoff, restarting, drain_delay, stopping, ... */
    private String phaseName() {
        if (drain.ending()) {
            return switch (drain.phase()) {
                case DELAY -> "drain_delay";
                default -> drain.phase().name().toLowerCase(Locale.ROOT);
            };
        }
        if (restarts.runsNoApplication()) {
            return "assets";
        }
        if (restarts.waitingForRelease() && generations.isEmpty()) {
            return "waiting";
        }
        return switch (restarts.phase()) {
            case BACKOFF -> "backoff";
            case STOPPING_OLD -> "restarting";
            default -> "running";
        };
    }

    private void publish() {
        if (statusSink == null) {
            return; // no admin server, status file or systemd: no Status to build on every signal
        }
        Generation current = generations.current();
        List<Status.Gen> gens = new ArrayList<>();
        for (Generation g : generations.list()) {
            if (!g.exited) {
                gens.add(new Status.Gen(g.number, g.pid, g.state().name().toLowerCase(Locale.ROOT),
                        g.startedMillis, g.readyMillis, g.statusText));
            }
        }
        boolean ready = !drain.ending() && (restarts.runsNoApplication() ? restarts.releaseInPlace()
                : current != null && !current.announcedStopping
                && restarts.phase() != Restarts.Phase.STOPPING_OLD); // assets: ready once a release is in place
        Status s = new Status(selfPid, phaseName(), drain.draining(), ready, !gens.isEmpty(), restarts.begun(),
                restarts.crashRestarts(), current == null ? 0 : current.number, gens,
                reloads == 0 ? Status.Reload.NONE : new Status.Reload(reloads, reloadsUnderWay > 0,
                        reloadStartedUsec, reloadFailure));
        if (!s.equals(published)) {
            published = s;
            statusSink.accept(s);
        }
    }

    // ---- for the unit tests' invariant checks

    /** Outside a drain and before the first release: a generation serves, or a start is on its way. */
    boolean applicationOrPendingStart() {
        return drain.ending() || restarts.runsNoApplication() || restarts.waitingForRelease() || generations.anyServing()
                || restarts.startPending();
    }

    List<Generation> generationsForTest() {
        return generations.list();
    }

    Restarts restartsForTest() {
        return restarts;
    }
}
