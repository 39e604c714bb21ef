package dewy.supervisor;

import static dewy.posix.Signals.SIGKILL;

import dewy.cli.Durations;
import dewy.log.Log;
import dewy.posix.SpawnException;
import dewy.posix.WaitStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Short commands the loop runs for a deploy (its hooks): {@code /bin/sh -c COMMAND} in a process group of its
 * own, reaped by the loop like everything else, SIGKILLed past its timeout, asked to stop by a drain.
 */
final class Tasks {
    private static final class Running {
        final String name;
        final int pid;
        final Duration timeout;
        final IntConsumer exit;
        long deadline;

        Running(String name, int pid, Duration timeout, IntConsumer exit, long deadline) {
            this.name = name;
            this.pid = pid;
            this.timeout = timeout;
            this.exit = exit;
            this.deadline = deadline;
        }
    }

    private final Processes processes;
    private final List<Running> running = new ArrayList<>();

    Tasks(Processes processes) {
        this.processes = processes;
    }

    /**
     * Starts a task; {@code exit} gets its shell status on the loop's thread once it is reaped.
     *
     * @return its pid
     */
    int start(String name, String command, List<String> env, Duration timeout, long now, IntConsumer exit)
            throws SpawnException {
        int pid = processes.spawnCheck(command, env);
        running.add(new Running(name, pid, timeout, exit, now + timeout.toNanos()));
        Log.info("task started", "task", name, "pid", pid);
        return pid;
    }

    /** True when the reaped pid was a task's (its callback has run). */
    boolean reaped(int pid, int waitStatus) {
        for (Running t : running) {
            if (t.pid == pid) {
                running.remove(t);
                int code = WaitStatus.shellCode(waitStatus);
                Log.info("task exited", "task", t.name, "pid", pid, "status", WaitStatus.describe(waitStatus),
                        "code", code);
                t.exit.accept(code);
                return true;
            }
        }
        return false;
    }

    void tick(long now) {
        for (Running t : running) {
            if (Deadlines.due(t.deadline, now)) {
                Log.warn("task timed out; sending SIGKILL", "task", t.name, "pid", t.pid,
                        "timeout", Durations.format(t.timeout));
                processes.signalGroup(t.pid, SIGKILL);
                t.deadline = Deadlines.NONE;
            }
        }
    }

    long nextDeadline() {
        long next = Deadlines.NONE;
        for (Running t : running) {
            next = Deadlines.earliest(next, t.deadline);
        }
        return next;
    }

    /** A drain: every running task gets the stop signal (and CONT), its timeout still applies. */
    void stopAll(int stopSignal) {
        for (Running t : running) {
            Log.info("stopping a running task", "task", t.name, "pid", t.pid);
            Stopper.askToStop(stopSignal, s -> processes.signalGroup(t.pid, s));
        }
    }

    boolean isEmpty() {
        return running.isEmpty();
    }
}
