package dewy.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * {@code --proxy}'s readiness: {@code GET PATH} on one generation's own loopback port, asked again every interval
 * on a thread of its own (never the loop's: a server that accepts and never answers must not stall dewy), until it
 * answers 2xx or 3xx. Then {@code passed} hears the generation's number once; the loop decides what that means.
 * A plain HTTP/1.1 request on a socket, not the JDK's HttpClient: a status line is all it reads, and dewy's start-up
 * and memory do not pay for a client it does not need.
 */
public final class HealthChecks implements AutoCloseable {
    private final Duration interval;
    private final Duration timeout;
    private final IntConsumer passed;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dewy-health");
        t.setDaemon(true);
        return t;
    });
    private final Map<Integer, ScheduledFuture<?>> running = new ConcurrentHashMap<>();

    /**
     * @param timeout how long one check may take to connect and to answer
     * @param passed  told the generation whose check passed (on this class's thread)
     */
    public HealthChecks(Duration interval, Duration timeout, IntConsumer passed) {
        this.interval = interval;
        this.timeout = timeout;
        this.passed = passed;
    }

    /** Starts checking {@code generation}; a check already running for it is replaced. */
    public void start(int generation, int port, String path) {
        stop(generation);
        running.put(generation, thread.scheduleWithFixedDelay(() -> {
            if (running.containsKey(generation) && answers(port, path)) {
                if (running.remove(generation) != null) {
                    passed.accept(generation);
                }
                throw new CancellationOnPass(); // ends this schedule
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS));
    }

    public void stop(int generation) {
        ScheduledFuture<?> f = running.remove(generation);
        if (f != null) {
            f.cancel(false);
        }
    }

    /** Whether {@code GET path} on 127.0.0.1:port answers with a 2xx or 3xx status line now (any thread). */
    public boolean answers(int port, String path) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: dewy\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            int status = status(s.getInputStream());
            return status >= 200 && status < 400;
        } catch (IOException e) {
            return false; // not listening yet, reset, or too slow: ask again
        }
    }

    /** The status code of an HTTP/1.x status line, or -1. */
    static int status(InputStream in) throws IOException {
        byte[] line = new byte[64];
        int n = 0;
        for (int b; n < line.length && (b = in.read()) >= 0 && b != '\n'; ) {
            line[n++] = (byte) b;
        }
        String text = new String(line, 0, n, StandardCharsets.US_ASCII);
        if (!text.startsWith("HTTP/1.") || text.length() < 12 || text.charAt(8) != ' ') {
            return -1;
        }
        try {
            return Integer.parseInt(text.substring(9, 12));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }

    /** Thrown by a check that passed: a scheduled task that throws is not run again. */
    private static final class CancellationOnPass extends RuntimeException {
        CancellationOnPass() {
            super(null, null, false, false);
        }
    }
}
