package dewy.supervisor;

import static dewy.posix.Signals.SIGKILL;

import dewy.cli.Config;
import dewy.log.Log;
import dewy.posix.SpawnException;
import dewy.posix.WaitStatus;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.util.ArrayList;
import java.util.List;

/**
 * When a STARTING generation becomes ready ({@code --ready}): READY=1 on its NOTIFY_SOCKET, still alive after a
 * delay, or an {@code exec:} probe exiting 0; and when it has waited too long ({@code --ready-timeout}).
 */
final class ReadinessWatch {
    enum Due { NOTHING, READY, TIMED_OUT }

    private final Config config;
    private final Starter starter;
    private final Processes processes;

    ReadinessWatch(Config config, Starter starter, Processes processes) {
        this.config = config;
        this.starter = starter;
        this.processes = processes;
    }

    /** A new generation starts waiting; true when it counts as ready at once ({@code delay:0}). */
    boolean arm(Generation g, long now) {
        g.enter(Generation.State.STARTING, now + config.readyTimeout().toNanos());
        switch (config.readiness().kind()) {
            case DELAY -> g.delayReadyAt = now + config.readiness().delay().toNanos();
            case EXEC -> g.nextCheck = now + Readiness.CHECK_INTERVAL.toNanos();
            case HTTP -> processes.checkHealth(g.number, g.backendPort, config.readiness().command());
            case NOTIFY -> {
            }
        }
        return config.readiness().kind() == Readiness.Kind.DELAY && config.readiness().delay().isZero();
    }

    /** What is due for a STARTING generation now. Starts the next probe when one is due. */
    Due tick(Generation g, long now) {
        if (!g.starting()) {
            return Due.NOTHING;
        }
        if (Deadlines.due(g.delayReadyAt, now)) {
            return Due.READY;
        }
        if (g.checkPid == 0 && Deadlines.due(g.nextCheck, now)) {
            probe(g, now);
        }
        return Deadlines.due(g.deadline(), now) ? Due.TIMED_OUT : Due.NOTHING;
    }

    /** The generation whose probe this pid is, or null. */
    static Generation probeOwner(List<Generation> generations, int pid) {
        for (Generation g : generations) {
            if (g.checkPid != 0 && g.checkPid == pid) {
                return g;
            }
        }
        return null;
    }

    /** The probe exited: true when that makes the generation ready. */
    boolean probeExited(Generation g, int waitStatus, long now) {
        g.checkPid = 0;
        if (!g.starting()) {
            return false;
        }
        if (WaitStatus.shellCode(waitStatus) == 0) {
            return true;
        }
        Log.debug("readiness check failed", "generation", g.number, "status", WaitStatus.describe(waitStatus));
        g.nextCheck = now + Readiness.CHECK_INTERVAL.toNanos();
        return false;
    }

    /** No more waiting for this generation: kill a running probe. */
    void end(Generation g) {
        if (g.checkPid != 0) {
            processes.signalGroup(g.checkPid, SIGKILL);
            g.checkPid = 0;
        }
        g.nextCheck = Deadlines.NONE;
        g.delayReadyAt = Deadlines.NONE;
        if (config.readiness().kind() == Readiness.Kind.HTTP) {
            processes.stopHealthCheck(g.number);
        }
    }

    private void probe(Generation g, long now) {
        List<String> env = new ArrayList<>(starter.env(g.number, null));
        env.add("DEWY_GENERATION=" + g.number);
        env.add("DEWY_PID=" + g.pid);
        if (g.backendPort != 0) {
            env.add("PORT=" + g.backendPort);
            env.add("DEWY_PORT=" + g.backendPort);
        }
        try {
            g.checkPid = processes.spawnCheck(config.readiness().command(), env);
            Log.debug("readiness check started", "generation", g.number, "pid", g.checkPid);
        } catch (SpawnException e) {
            Log.error("cannot run the readiness check", "error", e.describe());
            g.nextCheck = now + Readiness.CHECK_INTERVAL.toNanos();
        }
    }
}
