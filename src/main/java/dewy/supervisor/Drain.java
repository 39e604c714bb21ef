package dewy.supervisor;

import static dewy.posix.Signals.SIGKILL;

import dewy.cli.Config;
import dewy.cli.Durations;
import dewy.log.Log;
import dewy.posix.Signals;
import java.time.Duration;

/**
 * How dewy ends: a drain (TERM, INT, QUIT) or the application gone for good. Each phase has one deadline.
 *
 * <pre>
 *   NONE --drain signal--> [DELAY (--drain-delay, still serving)] --> STOPPING (stop signal, grace)
 *   NONE --application gone, not restarted--> LEFTOVERS (its descendants get the stop signal, the rest of grace)
 *   STOPPING --every main process exited--> LEFTOVERS --no child left--> DONE
 *   STOPPING, LEFTOVERS --grace over--> KILLED (SIGKILL to everything) --no child left, or kill wait over--> DONE
 * </pre>
 * dewy then exits with the status of the newest generation that exited.
 */
final class Drain {
    enum Phase { NONE, DELAY, STOPPING, LEFTOVERS, KILLED, DONE }

    private final Config config;
    private final Processes processes;
    private final Generations generations;
    private final Stopper stopper;

    private Phase phase = Phase.NONE;
    private long deadline = Deadlines.NONE;
    private boolean signalled;
    private boolean leftoversSignalled;
    private int status;
    private int statusGeneration;

    Drain(Config config, Processes processes, Generations generations, Stopper stopper) {
        this.config = config;
        this.processes = processes;
        this.generations = generations;
        this.stopper = stopper;
    }

    Phase phase() {
        return phase;
    }

    /** A drain signal arrived (as opposed to the application ending by itself). */
    boolean draining() {
        return signalled;
    }

    /** dewy is on its way out: no more restarts. */
    boolean ending() {
        return phase != Phase.NONE;
    }

    boolean done() {
        return phase == Phase.DONE;
    }

    int status() {
        return status;
    }

    long nextDeadline() {
        return phase == Phase.DONE ? Deadlines.NONE : deadline;
    }

    /** A drain signal. Called after the scheduler and the restart queue were told. */
    void begin(String signalName, long now) {
        if (signalled) {
            if (phase == Phase.DELAY) {
                Log.info("second drain signal: stopping now, without the rest of the drain delay", "signal",
                        signalName);
                beginStop(now);
            } else {
                Log.info("already draining", "signal", signalName);
            }
            return;
        }
        signalled = true;
        if (phase != Phase.NONE) {
            return; // the application is already gone; the leftovers have their deadline
        }
        if (!config.drainDelay().isZero() && generations.anyServing()) {
            phase = Phase.DELAY;
            deadline = now + config.drainDelay().toNanos();
            Log.info("keeps serving during the drain delay; /readyz says 503", "drain_delay",
                    Durations.format(config.drainDelay()));
        } else {
            beginStop(now);
        }
    }

    private void beginStop(long now) {
        for (Generation g : generations.list()) {
            if (g.serving()) {
                stopper.stop(g, config.stopSignal(), now);
            }
            g.clearDeadline(); // the drain's own deadline rules: KILL for everyone at once
        }
        phase = Phase.STOPPING;
        deadline = now + config.gracePeriod().toNanos();
    }

    /** The application is gone and is not restarted: dewy ends with {@code code} once its descendants are gone. */
    void exitWith(int code, long now) {
        status = code;
        phase = Phase.LEFTOVERS;
        leftoversSignalled = false;
        deadline = now + config.gracePeriod().toNanos();
        for (Generation g : generations.list()) {
            // As in beginStop: the drain's deadline rules. A leftover's own grace, set a moment earlier when its
            // leader exited, would otherwise end first and kill its group alone, a turn before the drain's.
            g.clearDeadline();
        }
    }

    /** A generation's main process exited while ending: the newest one's status is dewy's. */
    void recordExit(Generation g, int code) {
        if (g.number >= statusGeneration) {
            status = code;
            statusGeneration = g.number;
        }
    }

    void tick(long now) {
        if (!Deadlines.due(deadline, now)) {
            return;
        }
        deadline = Deadlines.NONE;
        switch (phase) {
            case DELAY -> {
                Log.info("drain delay over; stopping the application", "signal", Signals.name(config.stopSignal()));
                beginStop(now);
            }
            case STOPPING, LEFTOVERS -> {
                Log.warn("grace period over; sending SIGKILL to every remaining process",
                        "grace", Durations.format(config.gracePeriod()));
                for (Generation g : generations.list()) {
                    if (!g.exited) { // what an exited leader left in its group is among the descendants below
                        processes.signalGroup(g.pid, SIGKILL);
                    }
                    g.enter(Generation.State.KILLED, Deadlines.NONE);
                }
                processes.signalDescendants(SIGKILL);
                phase = Phase.KILLED;
                deadline = now + Stopper.KILL_WAIT.toNanos();
            }
            case KILLED -> {
                Log.error("processes survived SIGKILL; exiting anyway");
                if (generations.anyAlive()) {
                    status = 128 + SIGKILL;
                }
                phase = Phase.DONE;
            }
            default -> {
            }
        }
    }

    /** Moves on while what the phase waits for holds (a step may land in a phase that is also done). */
    void advance(long now, boolean childrenLeft) {
        Phase before;
        do {
            before = phase;
            step(now, childrenLeft);
        } while (phase != before);
    }

    private void step(long now, boolean childrenLeft) {
        switch (phase) {
            case DELAY -> {
                if (!generations.anyServing()) {
                    Log.info("the application exited during the drain delay");
                    beginStop(now);
                }
            }
            case STOPPING -> {
                if (!generations.anyAlive()) {
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
                    Stopper.askToStop(config.stopSignal(), processes::signalDescendants);
                }
            }
            case KILLED -> {
                if (!generations.anyAlive() && !childrenLeft) {
                    phase = Phase.DONE;
                }
            }
            default -> {
            }
        }
    }
}
