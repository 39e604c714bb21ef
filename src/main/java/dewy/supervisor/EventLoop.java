package dewy.supervisor;

import dewy.posix.Posix;
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
        supervisor.handle(null); // a child may already have exited, or a signal be pending, before the first wait
        while (!supervisor.done()) {
            supervisor.handle(posix.awaitSignal(Signals.HANDLED, supervisor.waitNanos()));
        }
        return supervisor.exitStatus();
    }
}
