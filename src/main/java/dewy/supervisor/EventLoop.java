package dewy.supervisor;

import dewy.log.Log;
import dewy.posix.Posix;
import dewy.posix.SignalInfo;
import dewy.posix.Signals;

/**
 * tini's loop: wait for an event (or the next deadline), act on it, reap, repeat. Every JVM thread blocks the
 * signals, so they arrive synchronously through a signalfd, next to the generations' NOTIFY_SOCKETs in one ppoll;
 * no Java code ever runs in a signal handler. Other threads (the deploy scheduler) post {@link Request}s to the
 * {@link Inbox}, whose eventfd sits in the same ppoll.
 */
public final class EventLoop {
    private static final int MAX_FDS = 64;

    private EventLoop() {
    }

    /**
     * Runs until the supervisor is done and returns its exit status.
     *
     * @param inbox requests from other threads, or null when nothing posts any
     */
    public static int run(Posix posix, Supervisor supervisor, Inbox inbox) {
        int signalFd = posix.signalFd(Signals.HANDLED);
        int[] fds = new int[MAX_FDS];
        int first = inbox == null ? 1 : 2; // index of the first NOTIFY_SOCKET
        timer(supervisor); // a child may already have exited before the first wait
        while (!supervisor.done()) {
            int[] notify = supervisor.notifyFds();
            int count = first + Math.min(notify.length, MAX_FDS - first);
            fds[0] = signalFd;
            if (inbox != null) {
                fds[1] = inbox.fd();
            }
            System.arraycopy(notify, 0, fds, first, count - first);
            long ready = posix.poll(fds, count, supervisor.waitNanos());
            boolean handled = false;
            if ((ready & 1) != 0) {
                SignalInfo signal;
                while (!supervisor.done() && (signal = posix.readSignal(signalFd)) != null) {
                    signal(supervisor, signal);
                    handled = true;
                }
            }
            if (inbox != null && (ready & 2) != 0 && !supervisor.done()) {
                posix.clearEventFd(inbox.fd()); // before draining: a post after this wakes the next poll
                Request request;
                while (!supervisor.done() && (request = inbox.poll()) != null) {
                    request(supervisor, request);
                }
                handled = true;
            }
            for (int i = first; i < count; i++) {
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

    // One event each. Nothing thrown while handling one (a bug, an Error such as StackOverflowError or
    // OutOfMemoryError) may end the loop: PID 1 would take the application down with it.

    static void signal(Supervisor supervisor, SignalInfo signal) {
        try {
            supervisor.handle(signal);
        } catch (RuntimeException | Error e) {
            Log.error("internal error; dewy keeps running", "event", signal.name(), "error", e.toString());
        }
    }

    static void request(Supervisor supervisor, Request request) {
        try {
            supervisor.request(request);
        } catch (RuntimeException | Error e) {
            Log.error("internal error; dewy keeps running", "event", "request", "error", e.toString());
        }
    }

    static void notified(Supervisor supervisor, int fd) {
        try {
            supervisor.notified(fd);
        } catch (RuntimeException | Error e) {
            Log.error("internal error; dewy keeps running", "event", "notify", "error", e.toString());
        }
    }

    static void timer(Supervisor supervisor) {
        try {
            supervisor.handle(null);
        } catch (RuntimeException | Error e) {
            Log.error("internal error; dewy keeps running", "event", "timer", "error", e.toString());
        }
    }
}
