package dewy.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Copies a body to its destination with the limits every download has: a size limit, counted as bytes arrive (a lying
 * Content-Length or a growing file cannot get past it), a deadline, and the caller's interrupt.
 *
 * <p>The source is read by a helper thread and handed over in chunks, so the caller only ever blocks in an
 * interruptible wait with a timeout. On the deadline or an interrupt the caller closes the source, which ends the
 * helper's read. Reading on the caller's thread would not do: a stalled read has no timeout of its own, and JDK 17's
 * HttpClient body stream swallows the interrupt of a thread blocked in it.
 */
final class Transfer {
    static final int BUFFER = 64 * 1024;
    private static final int QUEUED_CHUNKS = 4; // what the reader may run ahead: 256 KiB

    private Transfer() {
    }

    /** One read: {@code n} bytes of {@code data}, or the end ({@code n < 0}), or the read's failure. */
    private record Chunk(byte[] data, int n, IOException error) {
    }

    /**
     * Copies {@code in} to {@code out} until EOF and closes {@code in}; returns the byte count.
     *
     * @param what          the prefix of error messages ({@code registry ghr://o/r: app.tar.gz})
     * @param deadlineNanos {@link System#nanoTime()} by which the copy must be done
     * @param timeout       the caller's timeout, for the message
     * @throws RegistryException    (not transient) past {@code maxBytes}; (transient) on the deadline or a read error
     * @throws InterruptedException when the thread is interrupted
     */
    static long copy(InputStream in, OutputStream out, long maxBytes, long deadlineNanos, Duration timeout,
            String what) throws IOException, InterruptedException {
        BlockingQueue<Chunk> chunks = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
        Thread reader = new Thread(() -> read(in, chunks), "dewy-download-reader");
        reader.setDaemon(true);
        reader.start();
        long count = 0;
        try {
            while (true) {
                long left = deadlineNanos - System.nanoTime();
                Chunk c = left > 0 ? chunks.poll(left, TimeUnit.NANOSECONDS) : null;
                if (c == null) {
                    throw timedOut(what, timeout);
                }
                if (c.error != null) {
                    throw new RegistryException(what + ": reading: " + message(c.error), true, null, c.error);
                }
                if (c.n < 0) {
                    return count;
                }
                count += c.n;
                if (count > maxBytes) {
                    throw tooLarge(what, maxBytes);
                }
                out.write(c.data, 0, c.n);
            }
        } catch (InterruptedException e) {
            throw interrupted(what, e);
        } finally {
            closeQuietly(in); // ends a read still blocked (deadline, interrupt, size limit)
            reader.interrupt(); // ends a hand-over still waiting for room
        }
    }

    private static void read(InputStream in, BlockingQueue<Chunk> chunks) {
        try {
            while (true) {
                byte[] buf = new byte[BUFFER];
                Chunk c;
                try {
                    int n = in.read(buf);
                    c = new Chunk(buf, n, null);
                } catch (IOException e) {
                    c = new Chunk(null, 0, e);
                }
                chunks.put(c);
                if (c.n < 0 || c.error != null) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // the caller is gone
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException ignored) {
            // the body is abandoned either way
        }
    }

    /** The interrupt {@code e} reported, as an InterruptedException (the flag is cleared: the exception carries it). */
    static InterruptedException interrupted(String what, Throwable e) {
        Thread.interrupted();
        InterruptedException ie = new InterruptedException(what + ": interrupted");
        if (e != null) {
            ie.initCause(e);
        }
        return ie;
    }

    /** True when {@code e} is how a blocking call reports an interrupt (the flag may or may not still be set). */
    static boolean isInterrupt(Throwable e) {
        if (Thread.currentThread().isInterrupted() || e instanceof ClosedByInterruptException) {
            return true;
        }
        if (e instanceof InterruptedIOException && !(e instanceof SocketTimeoutException)) {
            return true;
        }
        return e.getCause() instanceof InterruptedException;
    }

    static RegistryException timedOut(String what, Duration timeout) {
        return new RegistryException(what + ": timed out after " + timeout.toMillis() + " ms", true);
    }

    static RegistryException tooLarge(String what, long maxBytes) {
        return new RegistryException(what + " exceeds the size limit of " + maxBytes + " bytes", false);
    }

    /** An exception's message, or its type when it has none (HttpClient's ConnectException often has none). */
    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replace('\n', ' ');
    }
}
