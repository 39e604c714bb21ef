package dewy.supervisor;

import dewy.log.Log;
import dewy.posix.Posix;
import dewy.posix.SignalInfo;
import dewy.posix.Signals;

/**
 * tini's loop: wait for a signal (or the next deadline), act on it, reap, repeat. Signals arrive synchronously
 * through sigwaitinfo because every JVM thread blocks them; no Java code ever runs in a signal handler.
 */
public final class EventLoop {
    private EventLoop() {
    }

    /** Runs until the supervisor is done and returns its exit status. */
    public static int run(Posix posix, Supervisor supervisor) {
        turn(supervisor, null); // a child may already have exited before the first wait
        while (!supervisor.done()) {
            turn(supervisor, posix.awaitSignal(Signals.HANDLED, supervisor.waitNanos()));
        }
        return supervisor.exitStatus();
    }

    /** One event. A bug in handling it must not end PID 1 and take the application down with it. */
    private static void turn(Supervisor supervisor, SignalInfo signal) {
        try {
            supervisor.handle(signal);
        } catch (RuntimeException e) {
            Log.error("internal error; dewy keeps running", "event", signal == null ? "timer" : signal.name(),
                    "error", e.toString());
        }
    }
}
