package dewy.supervisor;

import static dewy.posix.Signals.SIGCHLD;
import static dewy.posix.Signals.SIGCONT;
import static dewy.posix.Signals.SIGKILL;
import static dewy.posix.Signals.SIGUSR1;

import dewy.cli.Config;
import dewy.cli.Durations;
import dewy.log.Log;
import dewy.posix.Posix;
import dewy.posix.SignalInfo;
import dewy.posix.Signals;
import dewy.posix.SpawnException;
import dewy.posix.WaitStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * The state of one dewy: the application's generation, restarts, drains and deadlines. Single-threaded: the
 * {@link EventLoop} feeds it one event at a time (a signal, or a deadline passing) and asks how long to wait next.
 *
 * <pre>
 *   RUNNING --USR1--> RESTARTING --old group gone--> RUNNING (next generation)
 *   RUNNING --INT/TERM/QUIT--> STOPPING --app exited--> LEFTOVERS --no child left--> DONE
 *   RUNNING --app exited--> LEFTOVERS
 *   STOPPING/LEFTOVERS --grace over--> KILLED --no child left--> DONE
 * </pre>
 */
public final class Supervisor {
    /** How long SIGKILLed processes get to disappear (an unkillable D-state process must not hang dewy forever). */
    static final Duration KILL_WAIT = Duration.ofSeconds(5);
    /** While a stopped generation's group still has members that are not dewy's children, look again this often. */
    static final Duration GROUP_RECHECK = Duration.ofMillis(50);
    private static final long NONE = Long.MIN_VALUE;

    private enum Phase { RUNNING, RESTARTING, STOPPING, LEFTOVERS, KILLED, DONE }

    private record Generation(int number, int pid) {
    }

    private final Config config;
    private final Processes processes;
    private final Clock clock;
    private final int selfPid;
    private final boolean pid1;
    private final List<Runnable> drainHooks;

    private Phase phase = Phase.RUNNING;
    /** The live application; during a restart, the generation being stopped until it exits. */
    private Generation app;
    private int generations;
    private int stoppingGroup;
    private boolean killSent;
    private boolean restartQueued;
    private boolean leftoversSignalled;
    private boolean childrenLeft = true;
    private long deadline = NONE;
    private long recheck = NONE;
    private int status;

    /**
     * @param drainHooks run first when a drain starts, to stop starting new work (the deploy scheduler and the
     *                   notifiers plug in here)
     */
    public Supervisor(Config config, Processes processes, Clock clock, int selfPid, List<Runnable> drainHooks) {
        this.config = config;
        this.processes = processes;
        this.clock = clock;
        this.selfPid = selfPid;
        this.pid1 = selfPid == 1;
        this.drainHooks = List.copyOf(drainHooks);
    }

    /** Starts the first generation. When it cannot start, dewy is done with 127 or 126. */
    public void start() {
        try {
            spawnGeneration();
            // arguments only at debug: command lines carry secrets often enough
            Log.info("started", "generation", app.number(), "pid", app.pid(), "command", config.command().get(0));
            Log.debug("arguments", "argv", String.join(" ", config.command()));
        } catch (SpawnException e) {
            Log.error("cannot start the application", "error", e.describe());
            status = e.exitCode();
            enterLeftovers(clock.nanoTime());
        }
    }

    public boolean done() {
        return phase == Phase.DONE;
    }

    /** The application's status as a shell gives it: its exit code or 128+signal; 126/127 if it never started. */
    public int exitStatus() {
        return status;
    }

    /** How long the loop may wait for the next signal before a deadline is due; negative means no deadline. */
    public long waitNanos() {
        long next = earliest(deadline, recheck);
        return next == NONE ? -1 : Math.max(0, next - clock.nanoTime());
    }

    /** One turn of the loop: the signal that arrived (null when the wait timed out), then reaping, then deadlines. */
    public void handle(SignalInfo signal) {
        if (signal != null) {
            onSignal(signal);
        }
        Posix.Reaped reaped = processes.reap();
        childrenLeft = reaped.childrenLeft();
        for (Posix.Exit exit : reaped.exits()) {
            onExit(exit);
        }
        long now = clock.nanoTime();
        if (recheck != NONE && now >= recheck) {
            recheck = NONE;
        }
        if (deadline != NONE && now >= deadline) {
            deadline = NONE;
            onDeadline(now);
        }
        advance(clock.nanoTime());
    }

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

    private void forward(int sig) {
        if (app == null) {
            Log.debug("no application to forward to", "signal", Signals.name(sig));
        } else if (processes.signalApp(app.pid(), sig)) {
            Log.debug("forwarded", "signal", Signals.name(sig), "pid", app.pid());
        } else {
            Log.debug("application already gone", "signal", Signals.name(sig), "pid", app.pid());
        }
    }

    private void requestRestart() {
        switch (phase) {
            case RUNNING -> beginRestart();
            case RESTARTING -> {
                if (!restartQueued) {
                    restartQueued = true;
                    Log.info("restart already in progress; one more queued");
                } else {
                    Log.debug("restart already queued");
                }
            }
            default -> Log.info("restart ignored: dewy is draining");
        }
    }

    private void beginRestart() {
        Optional<SpawnException> problem = processes.checkRunnable(config.command().get(0));
        if (problem.isPresent()) {
            Log.error("restart refused; the running generation keeps serving", "generation", app.number(),
                    "pid", app.pid(), "error", problem.get().describe());
            return;
        }
        Log.info("restarting", "generation", app.number(), "pid", app.pid(),
                "signal", Signals.name(config.stopSignal()), "grace", Durations.format(config.gracePeriod()));
        stoppingGroup = app.pid();
        killSent = false;
        stop(app.pid());
        phase = Phase.RESTARTING;
        deadline = clock.nanoTime() + config.gracePeriod().toNanos();
    }

    private void drain(String signalName) {
        if (phase == Phase.STOPPING || phase == Phase.LEFTOVERS || phase == Phase.KILLED) {
            Log.info("already draining", "signal", signalName);
            return;
        }
        Log.info("draining", "signal", signalName, "stop_signal", Signals.name(config.stopSignal()),
                "grace", Durations.format(config.gracePeriod()));
        restartQueued = false;
        drainHooks.forEach(Runnable::run);
        if (phase == Phase.RESTARTING) {
            // The generation being replaced already has the stop signal and its deadline; no new one starts.
            recheck = NONE;
            if (killSent) {
                killEverything();
                phase = Phase.KILLED;
            } else if (app != null) {
                phase = Phase.STOPPING;
            } else {
                phase = Phase.LEFTOVERS;
                leftoversSignalled = false;
            }
            return;
        }
        stop(app.pid());
        phase = Phase.STOPPING;
        deadline = clock.nanoTime() + config.gracePeriod().toNanos();
    }

    /** The stop signal, then CONT so a suspended application can act on it (as systemd does). */
    private void stop(int pid) {
        askToStop(signal -> processes.signalApp(pid, signal));
    }

    private void askToStop(IntConsumer send) {
        send.accept(config.stopSignal());
        if (config.stopSignal() != SIGCONT && config.stopSignal() != SIGKILL) {
            send.accept(SIGCONT);
        }
    }

    private void onExit(Posix.Exit exit) {
        if (app == null || exit.pid() != app.pid()) {
            Log.debug("reaped", "pid", exit.pid(), "status", WaitStatus.describe(exit.status()));
            return;
        }
        status = WaitStatus.shellCode(exit.status());
        Log.info("application exited", "generation", app.number(), "pid", app.pid(),
                "status", WaitStatus.describe(exit.status()), "code", status);
        app = null;
        if (phase == Phase.RUNNING) {
            enterLeftovers(clock.nanoTime());
        } else if (phase == Phase.STOPPING) {
            phase = Phase.LEFTOVERS; // keeps the drain's deadline
            leftoversSignalled = false;
        }
    }

    private void enterLeftovers(long now) {
        phase = Phase.LEFTOVERS;
        leftoversSignalled = false;
        deadline = now + config.gracePeriod().toNanos();
    }

    private void onDeadline(long now) {
        switch (phase) {
            case RESTARTING -> {
                if (!killSent) {
                    Log.warn("generation did not stop within the grace period; sending SIGKILL",
                            "pgid", stoppingGroup, "grace", Durations.format(config.gracePeriod()));
                    processes.signalApp(stoppingGroup, SIGKILL);
                    killSent = true;
                    deadline = now + KILL_WAIT.toNanos();
                } else {
                    Log.error("generation survived SIGKILL; starting the next one anyway", "pgid", stoppingGroup);
                    app = null;
                    finishRestart();
                }
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
                if (app != null) {
                    status = 128 + SIGKILL;
                }
                phase = Phase.DONE;
            }
            default -> {
            }
        }
    }

    private void killEverything() {
        if (app != null) {
            processes.signalApp(app.pid(), SIGKILL);
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
                if (app == null) {
                    if (processes.groupExists(stoppingGroup)) {
                        recheck = now + GROUP_RECHECK.toNanos();
                    } else {
                        finishRestart();
                    }
                }
            }
            case LEFTOVERS -> {
                if (!childrenLeft) {
                    phase = Phase.DONE;
                } else if (!leftoversSignalled) {
                    leftoversSignalled = true;
                    Log.info("waiting for the remaining processes", "signal", Signals.name(config.stopSignal()),
                            "until_kill", Durations.format(Duration.ofNanos(Math.max(0, deadline - now))));
                    askToStop(processes::signalDescendants);
                }
            }
            case KILLED -> {
                if (app == null && !childrenLeft) {
                    phase = Phase.DONE;
                }
            }
            default -> {
            }
        }
    }

    private void finishRestart() {
        recheck = NONE;
        deadline = NONE;
        try {
            spawnGeneration();
        } catch (SpawnException e) {
            Log.error("restart failed: cannot start the application", "error", e.describe());
            status = e.exitCode();
            enterLeftovers(clock.nanoTime());
            return;
        }
        phase = Phase.RUNNING;
        Log.info("restarted", "generation", app.number(), "pid", app.pid());
        if (restartQueued) {
            restartQueued = false;
            beginRestart();
        }
    }

    private void spawnGeneration() throws SpawnException {
        int pid = processes.spawn(config.command());
        generations++;
        app = new Generation(generations, pid);
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
