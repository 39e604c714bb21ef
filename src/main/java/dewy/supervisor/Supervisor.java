package dewy.supervisor;

import static dewy.posix.Signals.SIGCHLD;
import static dewy.posix.Signals.SIGCONT;
import static dewy.posix.Signals.SIGKILL;
import static dewy.posix.Signals.SIGUSR1;
import static dewy.supervisor.Generation.NONE;

import dewy.cli.Config;
import dewy.cli.Durations;
import dewy.log.Log;
import dewy.posix.Posix;
import dewy.posix.SignalInfo;
import dewy.posix.Signals;
import dewy.posix.SpawnException;
import dewy.posix.WaitStatus;
import dewy.starter.NotifyMessage;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The state of one dewy: the application's generations, restarts, readiness, drains and deadlines.
 * Single-threaded: the {@link EventLoop} feeds it one event at a time (a signal, a readiness message, or a deadline
 * passing) and asks how long it may wait for the next.
 *
 * <pre>
 *   RUNNING --USR1, with sockets--> RUNNING: generation N+1 starts beside N; N+1 ready: N gets the restart signal
 *   RUNNING --USR1, no sockets--> RESTARTING --old generation gone--> RUNNING (next generation)
 *   RUNNING --app exited, restart policy says so--> BACKOFF --delay over--> RUNNING (next generation)
 *   RUNNING --app exited, otherwise--> LEFTOVERS --no child left--> DONE
 *   WAITING (pull deploys, no release yet) --first rollout--> RUNNING
 *   RUNNING --rollout (a deploy swapped current)--> as USR1; the new generation fails: rollback, old one serves
 *   any --INT/TERM/QUIT--> [DRAIN_DELAY] --> STOPPING --generations exited--> LEFTOVERS --no child left--> DONE
 *   STOPPING/LEFTOVERS --grace over--> KILLED --no child left--> DONE
 * </pre>
 *
 * <p>A new generation that exits or is not ready in time never takes the service down: with sockets the old
 * generation keeps serving and the failed one is stopped.
 */
public final class Supervisor {
    /** How long SIGKILLed processes get to disappear (an unkillable D-state process must not hang dewy forever). */
    static final Duration KILL_WAIT = Duration.ofSeconds(5);
    /** While a stopped generation's group still has members that are not dewy's children, look again this often. */
    static final Duration GROUP_RECHECK = Duration.ofMillis(50);

    /** dewy itself failed (as for its start-up failures). */
    static final int EXIT_DEWY_FAILED = 125;

    private enum Phase { WAITING, RUNNING, RESTARTING, BACKOFF, DRAIN_DELAY, STOPPING, LEFTOVERS, KILLED, DONE }

    /** A deploy hook or other short command the loop runs for another thread. */
    private static final class RunningTask {
        final Request.Task task;
        final int pid;
        long deadline;

        RunningTask(Request.Task task, int pid, long deadline) {
            this.task = task;
            this.pid = pid;
            this.deadline = deadline;
        }
    }

    private final Config config;
    private final Starter starter;
    private final Processes processes;
    private final Clock clock;
    private final int selfPid;
    private final boolean pid1;
    private final Lifecycle lifecycle;
    private final Consumer<Status> statusSink;
    private final CrashLoop crashes;

    private Phase phase = Phase.RUNNING;
    /** Started and not yet gone (a stopped generation stays while its process group has members). */
    private final List<Generation> generations = new ArrayList<>();
    private int lastNumber;
    private int restarts;
    private boolean restartQueued;
    private boolean draining;
    private boolean leftoversSignalled;
    private boolean childrenLeft = true;
    private long deadline = NONE;
    private int status;
    /** The generation whose exit gave {@link #status}; a later one's exit overrides it during a drain. */
    private int statusGeneration;
    private Status published;
    /** Why the next sequential or crash restart starts a generation (USR1, crash, deploy, rollback). */
    private String restartReason = "USR1";
    private String backoffReason = "crash";
    /** The deploy whose generation is starting, and that generation's number (0: not spawned yet). */
    private Request.Rollout rollout;
    private int rolloutGeneration;
    /** The rollout started from WAITING: if it fails there is no older release to go back to. */
    private boolean rolloutFromWaiting;
    private boolean everServed;
    private final List<RunningTask> tasks = new ArrayList<>();

    /**
     * @param lifecycle  told of drains (first, to stop the deploy scheduler), ready generations and failed
     *                   restarts; on the loop's thread
     * @param statusSink gets a fresh {@link Status} after every event that changed it (called on the loop's thread);
     *                   null when nobody reads it
     */
    public Supervisor(Config config, Starter starter, Processes processes, Clock clock, int selfPid,
                      Lifecycle lifecycle, Consumer<Status> statusSink) {
        this.config = config;
        this.starter = starter;
        this.processes = processes;
        this.clock = clock;
        this.selfPid = selfPid;
        this.pid1 = selfPid == 1;
        this.lifecycle = lifecycle;
        this.statusSink = statusSink;
        this.crashes = new CrashLoop(config.restart());
    }

    /** Starts the first generation. When it cannot start, dewy is done with 127 or 126. */
    public void start() {
        try {
            spawnGeneration("start");
            Log.debug("arguments", "argv", String.join(" ", config.command())); // only at debug: secrets
        } catch (SpawnException e) {
            Log.error("cannot start the application", "error", e.describe());
            status = e.exitCode();
            enterLeftovers(clock.nanoTime());
        } catch (IllegalStateException e) {
            Log.error("cannot start the application", "error", e.getMessage());
            status = EXIT_DEWY_FAILED;
            enterLeftovers(clock.nanoTime());
        }
        publish();
    }

    /**
     * Pull deploys before the first release: no application yet. The first {@link Request.Rollout} starts it;
     * a drain meanwhile exits 0.
     */
    public void awaitFirstRelease() {
        phase = Phase.WAITING;
        Log.info("no release yet: the application starts after the first deploy");
        publish();
    }

    public boolean done() {
        return phase == Phase.DONE;
    }

    /** The application's status as a shell gives it: its exit code or 128+signal; 126/127 if it never started. */
    public int exitStatus() {
        return status;
    }

    /** The sd_notify sockets the loop must watch, one per generation that has one. */
    public int[] notifyFds() {
        int n = 0;
        for (Generation g : generations) {
            if (g.notify != null && !g.exited) {
                n++;
            }
        }
        int[] fds = new int[n];
        int i = 0;
        for (Generation g : generations) {
            if (g.notify != null && !g.exited) {
                fds[i++] = g.notify.fd();
            }
        }
        return fds;
    }

    /** How long the loop may wait for the next event before a deadline is due; negative means no deadline. */
    public long waitNanos() {
        long next = deadline;
        for (RunningTask t : tasks) {
            next = earliest(next, t.deadline);
        }
        for (Generation g : generations) {
            // only the deadlines tickGenerations acts on: a stale one would make the loop spin
            if (g.state == Generation.State.STARTING && !g.exited) {
                next = earliest(next, g.readyDeadline);
                next = earliest(next, g.delayReadyAt);
                next = earliest(next, g.checkPid == 0 ? g.nextCheck : NONE);
            }
            if (g.state == Generation.State.STOPPING) {
                next = earliest(next, g.stopDeadline);
            }
            if (g.exited && phase == Phase.RESTARTING) { // waiting for its group to empty
                next = earliest(next, clock.nanoTime() + GROUP_RECHECK.toNanos());
            }
        }
        return next == NONE ? -1 : Math.max(0, next - clock.nanoTime());
    }

    /** One turn of the loop: the signal that arrived (null when the wait timed out), then reaping, then deadlines. */
    public void handle(SignalInfo signal) {
        if (signal != null) {
            onSignal(signal);
        }
        afterEvent();
    }

    /** Datagrams arrived on the NOTIFY_SOCKET with this descriptor. */
    public void notified(int fd) {
        for (Generation g : List.copyOf(generations)) {
            if (g.notify != null && g.notify.fd() == fd) {
                for (String datagram : processes.readNotify(g.notify, g.pid)) {
                    onNotify(g, NotifyMessage.parse(datagram));
                }
            }
        }
        afterEvent();
    }

    /** Work another thread posted to the {@link Inbox}. */
    public void request(Request request) {
        if (request instanceof Request.Rollout r) {
            onRollout(r);
        } else if (request instanceof Request.Task t) {
            onTask(t);
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
        tickTasks(now);
        tickGenerations(now);
        if (deadline != NONE && now >= deadline) {
            deadline = NONE;
            onDeadline(now);
        }
        advance(clock.nanoTime());
        publish();
    }

    // ---- signals

    private void onSignal(SignalInfo info) {
        int sig = info.signo();
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
            requestRestart();
        } else if (Signals.DRAIN.contains(sig)) {
            drain(info.name());
        } else {
            forward(sig);
            if (Signals.JOB_STOP.contains(sig) && !pid1) {
                Log.debug("stopping dewy too, so the shell's job control sees the job stop", "signal", info.name());
                processes.stopSelf();
            }
        }
    }

    /** To every live generation: during a restart the old one must reload too (HUP) until it is gone. */
    private void forward(int sig) {
        boolean any = false;
        for (Generation g : generations) {
            if (g.exited) {
                continue;
            }
            any = true;
            if (signalMain(g, sig)) {
                Log.debug("forwarded", "signal", Signals.name(sig), "generation", g.number, "pid", g.pid);
            } else {
                Log.debug("application already gone", "signal", Signals.name(sig), "pid", g.pid);
            }
        }
        if (!any) {
            Log.debug("no application to forward to", "signal", Signals.name(sig));
        }
    }

    // ---- restarts

    private boolean overlapping() {
        return starter.hasListeners();
    }

    /** A newer generation is starting beside one that serves: a USR1 now only queues. */
    private boolean restartUnderWay() {
        Generation newest = newestServing();
        return newest != null && newest.state == Generation.State.STARTING && olderServing(newest) != null;
    }

    private void requestRestart() {
        switch (phase) {
            case RUNNING -> {
                if (restartUnderWay()) {
                    queueRestart();
                } else {
                    beginRestart("USR1");
                }
            }
            case RESTARTING -> queueRestart();
            case BACKOFF -> {
                Log.info("restart requested during the crash backoff; starting now");
                deadline = NONE;
                respawnAfterCrash();
            }
            case WAITING -> Log.info("restart ignored: no release deployed yet");
            default -> Log.info("restart ignored: dewy is draining");
        }
    }

    private void queueRestart() {
        if (!restartQueued) {
            restartQueued = true;
            Log.info("restart already in progress; one more queued");
        } else {
            Log.debug("restart already queued");
        }
    }

    /** @return null when the restart is under way, else why it could not begin (the running generation serves on) */
    private String beginRestart(String reason) {
        Optional<SpawnException> problem = processes.checkRunnable(config.command().get(0));
        if (problem.isPresent()) {
            Log.error("restart refused; the running generation keeps serving", "reason", reason,
                    "error", problem.get().describe());
            lifecycle.restartFailed(reason, problem.get().describe());
            return problem.get().describe();
        }
        restarts++;
        long now = clock.nanoTime();
        Generation serving = newestServing();
        int from = serving == null ? 0 : serving.number;
        if (overlapping()) {
            Log.info("restarting", "generation", from, "reason", reason, "ready", config.readiness(),
                    "ready_timeout", Durations.format(config.readyTimeout()));
            try {
                spawnGeneration(reason);
            } catch (SpawnException e) {
                Log.error("restart failed; the running generation keeps serving", "error", e.describe());
                lifecycle.restartFailed(reason, e.describe());
                return e.describe();
            }
            return null;
        }
        Log.info("restarting", "generation", from, "reason", reason, "signal", Signals.name(config.restartSignal()),
                "grace", Durations.format(config.gracePeriod()));
        for (Generation g : generations) {
            if (g.serving()) {
                stopGeneration(g, config.restartSignal(), now);
            }
        }
        restartReason = reason;
        phase = Phase.RESTARTING;
        return null;
    }

    /** Sequential restart: the old generations are gone, start the next. */
    private void finishRestart() {
        String reason = restartReason;
        restartReason = "USR1";
        try {
            spawnGeneration(reason);
        } catch (SpawnException e) {
            Log.error("restart failed: cannot start the application", "reason", reason, "error", e.describe());
            lifecycle.restartFailed(reason, e.describe());
            if (rollout != null && !rolloutFromWaiting) { // nothing serves now: start the release that did
                failRollout("cannot start the application: " + e.describe());
                restartReason = "rollback";
                finishRestart();
                return;
            }
            if (rollout != null) {
                failRollout("cannot start the application: " + e.describe());
            }
            status = e.exitCode();
            enterLeftovers(clock.nanoTime());
            return;
        }
        phase = Phase.RUNNING;
        Generation g = generations.get(generations.size() - 1);
        Log.info("restarted", "generation", g.number, "pid", g.pid, "reason", reason);
        if (restartQueued && !overlapping()) {
            restartQueued = false;
            beginRestart("USR1");
        }
    }

    private void spawnGeneration(String reason) throws SpawnException {
        if (starter.wrapsWithShell()) { // the shell would turn a missing command into its own exit 127
            Optional<SpawnException> problem = processes.checkRunnable(config.command().get(0));
            if (problem.isPresent()) {
                throw problem.get();
            }
        }
        int number = lastNumber + 1;
        NotifyChannel notify = null;
        if (config.readiness().kind() == Readiness.Kind.NOTIFY) {
            try {
                notify = processes.openNotify(number);
            } catch (IOException e) {
                throw new IllegalStateException("cannot create NOTIFY_SOCKET: " + e.getMessage(), e);
            }
        }
        int pid;
        try {
            pid = processes.spawn(starter.launch(config.command(), number, notify == null ? null : notify.path()));
        } catch (SpawnException e) {
            if (notify != null) {
                processes.closeNotify(notify);
            }
            throw e;
        }
        lastNumber = number;
        long now = clock.nanoTime();
        Generation g = new Generation(number, pid, now, clock.epochMillis(), reason, notify);
        g.readyDeadline = now + config.readyTimeout().toNanos();
        switch (config.readiness().kind()) {
            case DELAY -> g.delayReadyAt = now + config.readiness().delay().toNanos();
            case EXEC -> g.nextCheck = now + Readiness.CHECK_INTERVAL.toNanos();
            case NOTIFY -> {
            }
        }
        generations.add(g);
        Log.info("started", "generation", number, "pid", pid, "reason", reason, "command", config.command().get(0));
        if (config.readiness().kind() == Readiness.Kind.DELAY && config.readiness().delay().isZero()) {
            ready(g, now);
        }
    }

    // ---- deploys and tasks (requests from other threads)

    private void onRollout(Request.Rollout r) {
        if (rollout != null || restartUnderWay() || phase == Phase.RESTARTING) {
            Log.warn("deploy refused: a restart is already under way", "version", r.version());
            rejectRollout(r, "a restart is already under way");
            return;
        }
        if (draining || (phase != Phase.RUNNING && phase != Phase.WAITING && phase != Phase.BACKOFF)) {
            rejectRollout(r, "dewy is stopping");
            return;
        }
        rollout = r;
        rolloutGeneration = lastNumber + 1; // the next spawn, now or after a sequential stop (it may be ready at once)
        rolloutFromWaiting = phase == Phase.WAITING;
        if (phase == Phase.RUNNING) {
            String problem = beginRestart("deploy");
            if (problem != null) {
                failRollout(problem);
            }
            return;
        }
        // WAITING (first release) or BACKOFF (the running release crashes): nothing serves, start it now
        Phase before = phase;
        deadline = NONE;
        try {
            spawnGeneration("deploy");
            phase = Phase.RUNNING;
        } catch (SpawnException | IllegalStateException e) {
            String why = e instanceof SpawnException se ? se.describe() : e.getMessage();
            Log.error("cannot start the deployed release", "version", r.version(), "error", why);
            lifecycle.restartFailed("deploy", why);
            failRollout(why);
            phase = before;
            if (before == Phase.BACKOFF) {
                deadline = clock.nanoTime(); // the old release again, now that current points back to it
            }
        }
    }

    private void rejectRollout(Request.Rollout r, String why) {
        runRollback(r);
        r.outcome().complete(Request.Outcome.failed(why));
    }

    /** The deployed generation failed: current goes back first, then the deploy learns why. */
    private void failRollout(String why) {
        Request.Rollout r = rollout;
        rollout = null;
        rolloutGeneration = 0;
        rolloutFromWaiting = false;
        runRollback(r);
        r.outcome().complete(Request.Outcome.failed(why));
    }

    private static void runRollback(Request.Rollout r) {
        try {
            r.rollback().run();
        } catch (RuntimeException e) {
            Log.error("rollback failed", "version", r.version(), "error", e.toString());
        }
    }

    private void onTask(Request.Task t) {
        if (draining) {
            t.exit().completeExceptionally(new IllegalStateException("dewy is stopping"));
            return;
        }
        List<String> env = new ArrayList<>(starter.baseEnv());
        env.addAll(t.env());
        try {
            int pid = processes.spawnCheck(t.command(), env);
            tasks.add(new RunningTask(t, pid, clock.nanoTime() + t.timeout().toNanos()));
            Log.info("task started", "task", t.name(), "pid", pid);
        } catch (SpawnException e) {
            t.exit().completeExceptionally(e);
        }
    }

    private void tickTasks(long now) {
        for (RunningTask t : tasks) {
            if (t.deadline != NONE && now >= t.deadline) {
                Log.warn("task timed out; sending SIGKILL", "task", t.task.name(), "pid", t.pid,
                        "timeout", Durations.format(t.task.timeout()));
                processes.signalGroup(t.pid, SIGKILL);
                t.deadline = NONE;
            }
        }
    }

    // ---- readiness

    private void onNotify(Generation g, NotifyMessage message) {
        if (message.status() != null) {
            g.statusText = message.status();
            Log.debug("generation status", "generation", g.number, "status", message.status());
        }
        if (message.stopping() && !g.announcedStopping) {
            g.announcedStopping = true;
            Log.info("generation is stopping (STOPPING=1)", "generation", g.number, "pid", g.pid);
        }
        if (message.ready() && g.state == Generation.State.STARTING && !g.exited) {
            ready(g, clock.nanoTime());
        }
    }

    private void tickGenerations(long now) {
        for (Generation g : List.copyOf(generations)) {
            if (g.state == Generation.State.STARTING && !g.exited) {
                if (g.delayReadyAt != NONE && now >= g.delayReadyAt) {
                    ready(g, now);
                } else if (g.checkPid == 0 && g.nextCheck != NONE && now >= g.nextCheck) {
                    runCheck(g);
                }
                if (g.state == Generation.State.STARTING && g.readyDeadline != NONE && now >= g.readyDeadline) {
                    notReadyInTime(g, now);
                }
            }
            if (g.state == Generation.State.STOPPING && g.stopDeadline != NONE && now >= g.stopDeadline) {
                if (!g.killSent) {
                    Log.warn("generation did not stop within the grace period; sending SIGKILL", "generation",
                            g.number, "pgid", g.pid, "grace", Durations.format(config.gracePeriod()));
                    processes.signalGroup(g.pid, SIGKILL);
                    g.killSent = true;
                    g.stopDeadline = now + KILL_WAIT.toNanos();
                } else {
                    Log.error("generation survived SIGKILL; no longer waiting for it", "generation", g.number,
                            "pgid", g.pid);
                    generations.remove(g);
                }
            }
            if (g.exited && !processes.groupExists(g.pid)) {
                generations.remove(g);
            }
        }
    }

    private void runCheck(Generation g) {
        List<String> env = new ArrayList<>(starter.env(g.number, null));
        env.add("DEWY_GENERATION=" + g.number);
        env.add("DEWY_PID=" + g.pid);
        try {
            g.checkPid = processes.spawnCheck(config.readiness().command(), env);
            Log.debug("readiness check started", "generation", g.number, "pid", g.checkPid);
        } catch (SpawnException e) {
            Log.error("cannot run the readiness check", "error", e.describe());
            g.nextCheck = clock.nanoTime() + Readiness.CHECK_INTERVAL.toNanos();
        }
    }

    private void endCheck(Generation g) {
        if (g.checkPid != 0) {
            processes.signalGroup(g.checkPid, SIGKILL);
            g.checkPid = 0;
        }
        g.nextCheck = NONE;
    }

    private void ready(Generation g, long now) {
        g.state = Generation.State.READY;
        g.readyMillis = clock.epochMillis();
        g.readyDeadline = NONE;
        g.delayReadyAt = NONE;
        endCheck(g);
        Log.info("generation ready", "generation", g.number, "pid", g.pid,
                "ready_ms", (now - g.startedNanos) / 1_000_000);
        if (rollout != null && g.number == rolloutGeneration) {
            Request.Rollout done = rollout;
            rollout = null;
            rolloutGeneration = 0;
            done.outcome().complete(Request.Outcome.ok());
        }
        lifecycle.serving(g.number, g.pid, g.reason, !everServed);
        everServed = true;
        if (phase != Phase.RUNNING) {
            return;
        }
        boolean replaced = false;
        for (Generation old : generations) {
            if (old.number < g.number && old.serving()) {
                Log.info("stopping the previous generation", "generation", old.number, "pid", old.pid,
                        "signal", Signals.name(config.restartSignal()), "grace", Durations.format(config.gracePeriod()));
                stopGeneration(old, config.restartSignal(), now);
                replaced = true;
            }
        }
        if (replaced) {
            Log.info("restarted", "generation", g.number, "pid", g.pid);
        }
        if (starter.hasListeners()) {
            processes.inspectListeners(g.number, g.pid); // after the swap, and off the loop: never on its path
        }
        if (restartQueued) {
            restartQueued = false;
            beginRestart("USR1");
        }
    }

    private void notReadyInTime(Generation g, long now) {
        g.readyDeadline = NONE;
        endCheck(g);
        String why = "not ready within " + Durations.format(config.readyTimeout());
        if (olderServing(g) != null && phase == Phase.RUNNING) {
            Log.error("restart failed; the running generation keeps serving", "generation", g.number, "pid", g.pid,
                    "reason", why);
            lifecycle.restartFailed(g.reason, why);
            dropQueuedRestart();
            if (g.number == rolloutGeneration) {
                failRollout(why);
            }
            stopGeneration(g, config.stopSignal(), now);
        } else if (g.number == rolloutGeneration && phase == Phase.RUNNING) {
            // sequential deploy: nothing else serves; stop it and start the release that worked
            Log.error("deployed release not ready; rolling back", "generation", g.number, "pid", g.pid, "reason", why);
            lifecycle.restartFailed(g.reason, why);
            boolean waiting = rolloutFromWaiting;
            failRollout(why);
            stopGeneration(g, config.stopSignal(), now);
            if (waiting) {
                phase = Phase.WAITING;
            } else {
                restartReason = "rollback";
                phase = Phase.RESTARTING;
            }
        } else {
            Log.warn("generation not ready in time; it keeps running, /readyz stays 503", "generation", g.number,
                    "pid", g.pid, "ready_timeout", Durations.format(config.readyTimeout()));
        }
    }

    private void dropQueuedRestart() {
        if (restartQueued) {
            restartQueued = false;
            Log.info("queued restart dropped with the failed one");
        }
    }

    // ---- stopping

    private void stopGeneration(Generation g, int signal, long now) {
        g.state = Generation.State.STOPPING;
        g.readyDeadline = NONE;
        g.delayReadyAt = NONE;
        endCheck(g);
        g.stopDeadline = now + config.gracePeriod().toNanos();
        g.killSent = false;
        askToStop(signal, s -> signalMain(g, s));
    }

    /**
     * Forwarded signals, the restart signal and the stop signal go to the generation's main process only, as
     * systemd's KillMode=mixed, start_server and tini do: preforking servers (gunicorn, uWSGI, Starman) handle them
     * in the master and lose requests when their workers get them too. {@code --signal-group} sends them to the
     * whole process group instead (dumb-init's default), for a wrapper shell that does not exec. SIGKILL always
     * goes to the group.
     */
    private boolean signalMain(Generation g, int signal) {
        return config.signalGroup() ? processes.signalGroup(g.pid, signal) : processes.signalProcess(g.pid, signal);
    }

    /** The signal, then CONT so a suspended application can act on it (as systemd does). */
    private static void askToStop(int signal, IntConsumer send) {
        send.accept(signal);
        if (signal != SIGCONT && signal != SIGKILL) {
            send.accept(SIGCONT);
        }
    }

    private void drain(String signalName) {
        long now = clock.nanoTime();
        if (draining) {
            if (phase == Phase.DRAIN_DELAY) {
                Log.info("second drain signal: stopping now, without the rest of the drain delay", "signal", signalName);
                beginStop(now);
            } else {
                Log.info("already draining", "signal", signalName);
            }
            return;
        }
        draining = true;
        restartQueued = false;
        Log.info("draining", "signal", signalName, "stop_signal", Signals.name(config.stopSignal()),
                "drain_delay", Durations.format(config.drainDelay()), "grace", Durations.format(config.gracePeriod()));
        lifecycle.draining(signalName); // first: the deploy scheduler stops before anything else happens
        if (rollout != null) {
            failRollout("dewy is stopping");
        }
        for (RunningTask t : tasks) {
            Log.info("stopping a running task", "task", t.task.name(), "pid", t.pid);
            askToStop(config.stopSignal(), sig -> processes.signalGroup(t.pid, sig));
        }
        if (phase == Phase.LEFTOVERS || phase == Phase.KILLED || phase == Phase.DONE) {
            return; // the application is already gone; the leftovers have their deadline
        }
        boolean serving = generations.stream().anyMatch(Generation::serving);
        if (!config.drainDelay().isZero() && serving) {
            phase = Phase.DRAIN_DELAY;
            deadline = now + config.drainDelay().toNanos();
            Log.info("keeps serving during the drain delay; /readyz says 503", "drain_delay",
                    Durations.format(config.drainDelay()));
        } else {
            beginStop(now);
        }
    }

    private void beginStop(long now) {
        for (Generation g : generations) {
            if (g.serving()) {
                stopGeneration(g, config.stopSignal(), now);
                g.stopDeadline = NONE; // the drain's own deadline rules: KILL for everyone at once
            } else if (g.killSent) {
                g.stopDeadline = NONE;
            }
        }
        phase = Phase.STOPPING;
        deadline = now + config.gracePeriod().toNanos();
    }

    // ---- exits

    private void onExit(Posix.Exit exit) {
        for (RunningTask t : tasks) {
            if (t.pid == exit.pid()) {
                tasks.remove(t);
                int code = WaitStatus.shellCode(exit.status());
                Log.info("task exited", "task", t.task.name(), "pid", t.pid, "status",
                        WaitStatus.describe(exit.status()), "code", code);
                t.task.exit().complete(code);
                return;
            }
        }
        for (Generation g : generations) {
            if (g.checkPid == exit.pid()) {
                onCheckExit(g, exit.status());
                return;
            }
        }
        Generation g = byPid(exit.pid());
        if (g == null || g.exited) {
            Log.debug("reaped", "pid", exit.pid(), "status", WaitStatus.describe(exit.status()));
            return;
        }
        int code = WaitStatus.shellCode(exit.status());
        g.exited = true;
        g.readyDeadline = NONE;
        g.delayReadyAt = NONE;
        endCheck(g);
        if (g.notify != null) {
            processes.closeNotify(g.notify);
        }
        Log.info("generation exited", "generation", g.number, "pid", g.pid,
                "status", WaitStatus.describe(exit.status()), "code", code);
        long now = clock.nanoTime();
        if (draining || phase == Phase.LEFTOVERS || phase == Phase.KILLED) {
            if (g.number >= statusGeneration) {
                status = code;
                statusGeneration = g.number;
            }
            return;
        }
        if (g.state == Generation.State.STOPPING) {
            return; // replaced, or stopped after failing to become ready
        }
        String why = "exited before it was ready (" + WaitStatus.describe(exit.status()) + ")";
        if (g.state == Generation.State.STARTING && olderServing(g) != null) {
            Log.error("restart failed; the running generation keeps serving", "generation", g.number, "pid", g.pid,
                    "reason", why);
            lifecycle.restartFailed(g.reason, why);
            hintIfItBindsItself(code);
            dropQueuedRestart();
            if (g.number == rolloutGeneration) {
                failRollout(why);
            }
            stopLeftoversOf(g, now);
            return;
        }
        status = code;
        statusGeneration = g.number;
        if (g.state == Generation.State.STARTING && g.number == rolloutGeneration && phase == Phase.RUNNING) {
            // sequential deploy: the new release failed with nothing else serving; the crash policy does not
            // apply to it, the release that worked starts again at once
            Log.error("deployed release failed; rolling back", "generation", g.number, "pid", g.pid, "reason", why);
            lifecycle.restartFailed(g.reason, why);
            boolean waiting = rolloutFromWaiting;
            failRollout(why);
            stopLeftoversOf(g, now);
            if (waiting) {
                phase = Phase.WAITING;
            } else {
                phase = Phase.BACKOFF;
                backoffReason = "rollback";
                deadline = now;
            }
            return;
        }
        if (generations.stream().anyMatch(Generation::serving)) {
            Log.warn("the serving generation exited while a newer one starts", "generation", g.number);
            return;
        }
        if (phase == Phase.RUNNING) {
            applyRestartPolicy(g, code, now);
        }
    }

    private void onCheckExit(Generation g, int waitStatus) {
        g.checkPid = 0;
        if (WaitStatus.shellCode(waitStatus) == 0 && g.state == Generation.State.STARTING && !g.exited) {
            ready(g, clock.nanoTime());
        } else if (g.state == Generation.State.STARTING) {
            Log.debug("readiness check failed", "generation", g.number, "status", WaitStatus.describe(waitStatus));
            g.nextCheck = clock.nanoTime() + Readiness.CHECK_INTERVAL.toNanos();
        }
    }

    /** The leader is gone; whatever it left in its group gets the stop signal and the grace period. */
    private void stopLeftoversOf(Generation g, long now) {
        g.state = Generation.State.STOPPING;
        g.stopDeadline = now + config.gracePeriod().toNanos();
        if (processes.groupExists(g.pid)) {
            askToStop(config.stopSignal(), s -> processes.signalGroup(g.pid, s));
        }
    }

    private void applyRestartPolicy(Generation g, int code, long now) {
        if (!config.restart().restartsAfter(code)) {
            enterLeftovers(now);
            return;
        }
        long delay = crashes.onCrash(now);
        if (g.state == Generation.State.STARTING) {
            hintIfItBindsItself(code);
        }
        if (delay < 0) {
            Log.error("crash loop: giving up and exiting with the application's status", "restarts",
                    crashes.recent(), "window", Durations.format(config.restart().window()), "code", code);
            enterLeftovers(now);
            return;
        }
        stopLeftoversOf(g, now);
        Log.warn("application exited; restarting after a backoff", "generation", g.number, "code", code,
                "backoff", Durations.format(Duration.ofNanos(delay)), "policy", config.restart().mode().flag(),
                "crashes_in_window", crashes.recent());
        phase = Phase.BACKOFF;
        deadline = now + delay;
    }

    /**
     * go-server-starter's issues #18 and #22: an application that binds the port itself fails with EADDRINUSE
     * because dewy holds the port, and a supervisor without backoff restarts it forever. dewy cannot see the bind,
     * only an exit before readiness; it says what the likely cause is.
     */
    private void hintIfItBindsItself(int code) {
        if (starter.hasListeners() && code != 0) {
            Log.warn("the application exited before it was ready; if it binds its port itself, that fails with "
                    + "\"address already in use\" because dewy holds the port: take the socket from "
                    + "SERVER_STARTER_PORT or LISTEN_FDS instead", "ports", config.ports().size());
        }
    }

    private void respawnAfterCrash() {
        String reason = backoffReason;
        backoffReason = "crash";
        try {
            spawnGeneration(reason);
            phase = Phase.RUNNING;
        } catch (SpawnException e) {
            Log.error("cannot restart the application", "error", e.describe());
            status = e.exitCode();
            long delay = crashes.onCrash(clock.nanoTime());
            if (delay < 0) {
                Log.error("crash loop: giving up", "code", status);
                enterLeftovers(clock.nanoTime());
            } else {
                deadline = clock.nanoTime() + delay;
            }
        }
    }

    private void enterLeftovers(long now) {
        phase = Phase.LEFTOVERS;
        leftoversSignalled = false;
        deadline = now + config.gracePeriod().toNanos();
    }

    private void onDeadline(long now) {
        switch (phase) {
            case BACKOFF -> respawnAfterCrash();
            case DRAIN_DELAY -> {
                Log.info("drain delay over; stopping the application", "signal", Signals.name(config.stopSignal()));
                beginStop(now);
            }
            case STOPPING, LEFTOVERS -> {
                Log.warn("grace period over; sending SIGKILL to every remaining process",
                        "grace", Durations.format(config.gracePeriod()));
                killEverything();
                phase = Phase.KILLED;
                deadline = now + KILL_WAIT.toNanos();
            }
            case KILLED -> {
                Log.error("processes survived SIGKILL; exiting anyway");
                if (generations.stream().anyMatch(g -> !g.exited)) {
                    status = 128 + SIGKILL;
                }
                phase = Phase.DONE;
            }
            default -> {
            }
        }
    }

    private void killEverything() {
        for (Generation g : generations) {
            if (!g.exited) { // what an exited leader left in its group is among the descendants below
                processes.signalGroup(g.pid, SIGKILL);
            }
            g.killSent = true;
            g.stopDeadline = NONE;
        }
        processes.signalDescendants(SIGKILL);
    }

    /** Moves on while the condition the current phase waits for holds (a step may land in a phase that is also done). */
    private void advance(long now) {
        Phase before;
        do {
            before = phase;
            step(now);
        } while (phase != before);
    }

    private void step(long now) {
        switch (phase) {
            case RESTARTING -> {
                if (generations.isEmpty()) {
                    finishRestart();
                }
            }
            case DRAIN_DELAY -> {
                if (generations.stream().noneMatch(Generation::serving)) {
                    Log.info("the application exited during the drain delay");
                    beginStop(now);
                }
            }
            case STOPPING -> {
                if (generations.stream().allMatch(g -> g.exited)) {
                    phase = Phase.LEFTOVERS; // keeps the drain's deadline
                    leftoversSignalled = false;
                }
            }
            case LEFTOVERS -> {
                if (!childrenLeft) {
                    phase = Phase.DONE;
                } else if (!leftoversSignalled) {
                    leftoversSignalled = true;
                    Log.info("waiting for the remaining processes", "signal", Signals.name(config.stopSignal()),
                            "until_kill", Durations.format(Duration.ofNanos(Math.max(0, deadline - now))));
                    askToStop(config.stopSignal(), processes::signalDescendants);
                }
            }
            case KILLED -> {
                if (generations.stream().allMatch(g -> g.exited) && !childrenLeft) {
                    phase = Phase.DONE;
                }
            }
            default -> {
            }
        }
    }

    // ---- queries

    private Generation byPid(int pid) {
        for (Generation g : generations) {
            if (g.pid == pid) {
                return g;
            }
        }
        return null;
    }

    private Generation newestServing() {
        Generation newest = null;
        for (Generation g : generations) {
            if (g.serving()) {
                newest = g;
            }
        }
        return newest;
    }

    private Generation olderServing(Generation than) {
        for (Generation g : generations) {
            if (g.number < than.number && g.serving()) {
                return g;
            }
        }
        return null;
    }

    /** The generation that serves: the newest ready one. */
    private Generation current() {
        Generation current = null;
        for (Generation g : generations) {
            if (g.serving() && g.state == Generation.State.READY) {
                current = g;
            }
        }
        return current;
    }

    private void publish() {
        if (statusSink == null) {
            return; // no admin server, status file or systemd: no Status to build on every signal
        }
        Generation current = current();
        List<Status.Gen> gens = new ArrayList<>();
        for (Generation g : generations) {
            if (!g.exited) {
                gens.add(new Status.Gen(g.number, g.pid, g.state.name().toLowerCase(java.util.Locale.ROOT),
                        g.startedMillis, g.readyMillis, g.statusText));
            }
        }
        boolean ready = !draining && phase == Phase.RUNNING && current != null && !current.announcedStopping;
        Status s = new Status(selfPid, phase.name().toLowerCase(java.util.Locale.ROOT), draining, ready,
                !gens.isEmpty(), restarts, crashes.total(), current == null ? 0 : current.number, gens);
        if (!s.equals(published)) {
            published = s;
            statusSink.accept(s);
        }
    }

    private static long earliest(long a, long b) {
        if (a == NONE) {
            return b;
        }
        if (b == NONE) {
            return a;
        }
        return Math.min(a, b);
    }
}
