package dewy.supervisor;

import static dewy.posix.Signals.SIGCONT;
import static dewy.posix.Signals.SIGKILL;

import dewy.cli.Config;
import java.time.Duration;
import java.util.function.IntConsumer;

/**
 * How signals reach a generation, and the steps of stopping one.
 *
 * <p>Forwarded signals, the restart signal and the stop signal go to the generation's main process only, as
 * systemd's {@code KillMode=mixed}, start_server and tini do: preforking servers (gunicorn, uWSGI, Starman) handle
 * them in the master and lose requests when their workers get them too. {@code --signal-group} sends them to the
 * whole process group instead (dumb-init's default), for a wrapper shell that does not exec. SIGKILL, and anything
 * sent once the main process is gone, goes to the group.
 */
final class Stopper {
    /** How long SIGKILLed processes get to disappear (an unkillable D-state process must not hang dewy forever). */
    static final Duration KILL_WAIT = Duration.ofSeconds(5);

    private final Config config;
    private final Processes processes;
    private final ReadinessWatch readiness;

    Stopper(Config config, Processes processes, ReadinessWatch readiness) {
        this.config = config;
        this.processes = processes;
        this.readiness = readiness;
    }

    /** A forwarded signal: false when the generation's process is already gone. */
    boolean signal(Generation g, int signal) {
        if (g.exited || config.signalGroup()) {
            return processes.signalGroup(g.pid, signal);
        }
        return processes.signalProcess(g.pid, signal);
    }

    /** The restart or stop signal (then CONT), and the grace period starts. */
    void stop(Generation g, int signal, long now) {
        readiness.end(g);
        g.enter(Generation.State.STOPPING, now + config.gracePeriod().toNanos());
        if (g.stopSince == Generation.NONE) {
            g.stopSince = now;
        }
        askToStop(signal, s -> signal(g, s));
    }

    /** The main process is gone: what it left in its group gets the stop signal and the grace period. */
    void stopLeftovers(Generation g, long now) {
        readiness.end(g);
        if (g.state() == Generation.State.STOPPING || g.state() == Generation.State.KILLED) {
            return; // already on its way out, with its deadline
        }
        g.enter(Generation.State.STOPPING, now + config.gracePeriod().toNanos());
        if (processes.groupExists(g.pid)) {
            askToStop(config.stopSignal(), s -> processes.signalGroup(g.pid, s));
        }
    }

    /** SIGKILL to the whole group; dewy waits {@link #KILL_WAIT} more for it to disappear. */
    void kill(Generation g, long now) {
        readiness.end(g);
        processes.signalGroup(g.pid, SIGKILL);
        g.enter(Generation.State.KILLED, now + KILL_WAIT.toNanos());
    }

    /** The signal, then CONT so a suspended process can act on it (as systemd does). */
    static void askToStop(int signal, IntConsumer send) {
        send.accept(signal);
        if (signal != SIGCONT && signal != SIGKILL) {
            send.accept(SIGCONT);
        }
    }
}
