package dewy.supervisor;

import dewy.log.Log;
import dewy.posix.Posix;
import dewy.posix.SignalInfo;
import dewy.posix.Signals;

/**
 * tini's loop: wait for an event (or the next deadline), act on it, reap, repeat. Every JVM thread blocks the
 * signals, so they arrive synchronously through a signalfd, next to the generations' NOTIFY_SOCKETs in one ppoll;
 * no Java code ever runs in a signal handler.
 */
public final class EventLoop {
    private static final int MAX_FDS = 64;

    private EventLoop() {
    }

    /** Runs until the supervisor is done and returns its exit status. */
    public static int run(Posix posix, Supervisor supervisor) {
        int signalFd = posix.signalFd(Signals.HANDLED);
        int[] fds = new int[MAX_FDS];
        timer(supervisor); // a child may already have exited before the first wait
        while (!supervisor.done()) {
            int[] notify = supervisor.notifyFds();
            int count = 1 + Math.min(notify.length, MAX_FDS - 1);
            fds[0] = signalFd;
            System.arraycopy(notify, 0, fds, 1, count - 1);
            long ready = posix.poll(fds, count, supervisor.waitNanos());
            boolean handled = false;
            if ((ready & 1) != 0) {
                SignalInfo signal;
                while (!supervisor.done() && (signal = posix.readSignal(signalFd)) != null) {
                    signal(supervisor, signal);
                    handled = true;
                }
            }
            for (int i = 1; i < count; i++) {
                if ((ready & (1L << i)) != 0 && !supervisor.done()) {
                    notified(supervisor, fds[i]);
                    handled = true;
                }
            }
            if (!handled && !supervisor.done()) {
                timer(supervisor);
            }
        }
        posix.close(signalFd);
        return supervisor.exitStatus();
    }

    // One event each. A bug in handling it must not end PID 1 and take the application down with it.

    private static void signal(Supervisor supervisor, SignalInfo signal) {
        try {
            supervisor.handle(signal);
        } catch (RuntimeException e) {
            Log.error("internal error; dewy keeps running", "event", signal.name(), "error", e.toString());
        }
    }

    private static void notified(Supervisor supervisor, int fd) {
        try {
            supervisor.notified(fd);
        } catch (RuntimeException e) {
            Log.error("internal error; dewy keeps running", "event", "notify", "error", e.toString());
        }
    }

    private static void timer(Supervisor supervisor) {
        try {
            supervisor.handle(null);
        } catch (RuntimeException e) {
            Log.error("internal error; dewy keeps running", "event", "timer", "error", e.toString());
        }
    }
}
