package dev.dewy.app;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.Channel;
import java.time.Duration;

/**
 * Closing what {@link System#inheritedChannel()} returned, without losing stdout and stderr.
 * <p>
 * The JDK treats an inherited channel as inetd's: when it closes, it points descriptors 0, 1 and 2 at
 * {@code /dev/null}, so the application's log on stdout and stderr goes silent for the rest of its drain. Closing the
 * channel is still what a server on a shared socket must do when it stops accepting: it is the only way to wake an
 * acceptor thread blocked in {@code accept(2)} without a connection (Tomcat wakes its acceptor by connecting to its
 * own port, and on a socket shared with the next generation that connection may go to the other process, while this
 * one then accepts and drops a real client's). This closes the channel with stdout and stderr saved in
 * duplicates and put back right after (a line written in those microseconds is lost).
 */
public final class InheritedChannels {
    private static final System.Logger LOG = System.getLogger("dev.dewy.app");

    private InheritedChannels() {
    }

    /** Closes {@code channel}; when it is the inherited one, descriptors 1 and 2 are what they were before. */
    public static void close(Channel channel) throws IOException {
        if (channel.isOpen()) {
            keepingStdio(channel::close);
        }
    }

    /**
     * Runs {@code trigger}, which makes another thread close {@code channel} (interrupting a thread blocked in its
     * {@code accept} closes it: Jetty's acceptors), and waits up to {@code timeout} for it to be closed, with stdout
     * and stderr kept as in {@link #close}. Returns whether it closed in time.
     */
    public static boolean closeBy(Channel channel, Runnable trigger, Duration timeout) throws IOException {
        boolean[] closed = {false};
        keepingStdio(() -> {
            trigger.run();
            long end = System.nanoTime() + timeout.toNanos();
            while (channel.isOpen() && System.nanoTime() < end) {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }
            closed[0] = !channel.isOpen();
        });
        return closed[0];
    }

    /** An action that may throw. */
    public interface IoAction {
        void run() throws IOException;
    }

    /** Runs {@code action} with descriptors 1 and 2 saved before and put back after, whatever it did to them. */
    public static void keepingStdio(IoAction action) throws IOException {
        String why = Native.unavailable();
        if (why != null) {
            LOG.log(Level.WARNING, "closing the inherited channel points stdout and stderr at /dev/null: " + why);
            action.run();
            return;
        }
        int out = Native.dup(1);
        int err;
        try {
            err = Native.dup(2);
        } catch (IOException e) {
            Native.close(out);
            throw e;
        }
        try {
            action.run();
        } finally {
            try {
                Native.dup2(out, 1);
                Native.dup2(err, 2);
            } finally {
                Native.close(out);
                Native.close(err);
            }
        }
    }
}
