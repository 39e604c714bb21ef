package dewy.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The HTTP readiness check of --proxy against the JDK's HTTP server on 127.0.0.1. */
class HealthChecksTest {
    private final BlockingQueue<Integer> passed = new LinkedBlockingQueue<>();

    private HealthChecks checks() {
        return new HealthChecks(Duration.ofMillis(20), Duration.ofMillis(500), passed::add);
    }

    /** Answers {@code /health} with each status in turn, then the last one forever. */
    private static HttpServer server(AtomicInteger calls, int... statuses) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        s.createContext("/health", ex -> {
            int n = calls.getAndIncrement();
            int status = statuses[Math.min(n, statuses.length - 1)];
            ex.getResponseHeaders().add("Location", "/elsewhere");
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        s.start();
        return s;
    }

    @Test
    void aCheckPassesOnce2xxOr3xxComesAndAsksNoMore() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer s = server(calls, 503, 500, 404, 302);
        try (HealthChecks checks = checks()) {
            checks.start(7, s.getAddress().getPort(), "/health");
            assertEquals(7, passed.poll(10, TimeUnit.SECONDS));
            assertEquals(4, calls.get(), "503, 500 and 404 are not ready; 302 is");
            Thread.sleep(200);
            assertEquals(4, calls.get(), "no check after it passed");
            assertNull(passed.poll(100, TimeUnit.MILLISECONDS), "told once");
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aPortNobodyListensOnYetIsAskedAgainUntilItAnswers() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        try (HealthChecks checks = checks()) {
            checks.start(3, port, "/health");
            assertNull(passed.poll(300, TimeUnit.MILLISECONDS), "refused: not ready");
            AtomicInteger calls = new AtomicInteger();
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
            s.createContext("/health", ex -> {
                calls.incrementAndGet();
                ex.sendResponseHeaders(200, -1);
                ex.close();
            });
            s.start();
            try {
                assertEquals(3, passed.poll(10, TimeUnit.SECONDS));
            } finally {
                s.stop(0);
            }
        }
    }

    @Test
    void aServerThatAcceptsAndNeverAnswersIsNotReadyAndAStoppedCheckNeverPasses() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                HealthChecks checks = checks()) {
            checks.start(1, silent.getLocalPort(), "/health");
            assertNull(passed.poll(1500, TimeUnit.MILLISECONDS), "a timeout is not ready");
            AtomicInteger calls = new AtomicInteger();
            HttpServer s = server(calls, 200);
            checks.start(2, s.getAddress().getPort(), "/health");
            checks.stop(2);
            Thread.sleep(300);
            assertTrue(passed.isEmpty(), "stopped: " + passed);
            s.stop(0);
        }
    }

    @Test
    void theStatusLineIsReadByTheLetter() throws Exception {
        assertEquals(204, HealthChecks.status(in("HTTP/1.1 204 No Content\r\n")));
        assertEquals(301, HealthChecks.status(in("HTTP/1.0 301 Moved\r\n")));
        assertEquals(-1, HealthChecks.status(in("SSH-2.0-OpenSSH\r\n")));
        assertEquals(-1, HealthChecks.status(in("HTTP/1.1 2x0 what\r\n")));
        assertEquals(-1, HealthChecks.status(in("")));
    }

    private static ByteArrayInputStream in(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.US_ASCII));
    }
}
