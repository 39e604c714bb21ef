package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.HttpLoad.Kind;
import dewy.pid1.HttpLoad.Outcome;
import dewy.pid1.HttpLoad.Result;
import dewy.pid1.HttpLoad.Target;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each outcome of {@link HttpLoad}, produced on purpose by a small scripted server on 127.0.0.1. */
class HttpLoadTest {
    @TempDir
    Path tmp;

    private Scripted server;

    @AfterEach
    void closeServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** What the scripted server does with one accepted connection. */
    interface Script {
        void serve(Conn c) throws IOException, InterruptedException;
    }

    /** The server side of one connection: read a request head, answer in any (mis)way. */
    static final class Conn {
        final InputStream in;
        final OutputStream out;
        final Runnable reset;
        final Runnable finish;
        final List<String> seen;

        Conn(InputStream in, OutputStream out, Runnable reset, Runnable finish, List<String> seen) {
            this.in = in;
            this.out = out;
            this.reset = reset;
            this.finish = finish;
            this.seen = seen;
        }

        /** The next request head, or null at EOF. */
        String request() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                String s = head.toString(StandardCharsets.ISO_8859_1);
                if (s.endsWith("\r\n\r\n")) {
                    seen.add(s);
                    return s;
                }
            }
            return null;
        }

        void send(String raw) throws IOException {
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        void ok(long pid, boolean close) throws IOException {
            String body = "pid=" + pid + " gen=1\n";
            send("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n" + (close ? "Connection: close\r\n" : "")
                    + "\r\n" + body);
        }
    }

    /** Accepts on 127.0.0.1 (or a unix socket) and runs the script on every connection, each in its own thread. */
    static final class Scripted implements AutoCloseable {
        final ServerSocketChannel channel;
        final AtomicInteger connections = new AtomicInteger();
        final List<String> requests = new CopyOnWriteArrayList<>();
        final Thread acceptor;

        Scripted(ServerSocketChannel channel, Script script) {
            this.channel = channel;
            acceptor = new Thread(() -> {
                while (channel.isOpen()) {
                    try {
                        SocketChannel sc = channel.accept();
                        connections.incrementAndGet();
                        Thread t = new Thread(() -> handle(sc, script));
                        t.setDaemon(true);
                        t.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        static Scripted tcp(Script script) throws IOException {
            ServerSocketChannel ch = ServerSocketChannel.open();
            ch.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new Scripted(ch, script);
        }

        static Scripted unix(Path path, Script script) throws IOException {
            ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            ch.bind(UnixDomainSocketAddress.of(path));
            return new Scripted(ch, script);
        }

        Target target() throws IOException {
            return Target.tcp("127.0.0.1", ((java.net.InetSocketAddress) channel.getLocalAddress()).getPort());
        }

        private void handle(SocketChannel sc, Script script) {
            InputStream in = Channels.newInputStream(sc);
            Runnable reset = () -> {
                try {
                    if (sc.getLocalAddress() instanceof java.net.InetSocketAddress) {
                        sc.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);  // close() sends RST
                    }
                    sc.close();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            };
            Runnable finish = () -> {
                try {
                    sc.shutdownOutput();  // FIN, but keep the socket: no RST for what the client sends next
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            };
            try (sc) {
                script.serve(new Conn(in, Channels.newOutputStream(sc), reset, finish, requests));
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private static HttpLoad.Builder quick(Target target) {
        return HttpLoad.to(target).deadline(Duration.ofSeconds(10)).requestTimeout(Duration.ofSeconds(5))
                .failurePause(Duration.ofMillis(1));
    }

    @Test
    void okRequestsKeepOneConnectionAndReportPidsInTheOrderSeen() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        server = Scripted.tcp(c -> {
            while (c.request() != null) {
                c.ok(answered.incrementAndGet() <= 5 ? 100 : 200, false);
            }
        });
        Result r = quick(server.target()).maxRequests(12).run();
        assertEquals(Map.of(Outcome.OK, 12L), r.counts(), r.toString());
        assertEquals(List.of(100L, 200L), r.pids());
        assertEquals(List.of(), r.workers(), "no worker= in the body");
        assertEquals(1, server.connections.get(), "keep-alive: one connection for all requests");
        assertTrue(r.p99().compareTo(Duration.ZERO) > 0);
        assertTrue(server.requests.get(0).startsWith("GET / HTTP/1.1\r\nHost: 127.0.0.1:"), server.requests.get(0));
    }

    @Test
    void aPreforkingServersWorkerIsReportedBesideItsMaster() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        server = Scripted.tcp(c -> {
            while (c.request() != null) {
                String body = "pid=7 worker=" + (answered.incrementAndGet() <= 2 ? 8 : 9) + " gen=1\n";
                c.send("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            }
        });
        Result r = quick(server.target()).maxRequests(4).run();
        assertEquals(List.of(7L), r.pids());
        assertEquals(List.of(8L, 9L), r.workers());
    }

    @Test
    void aClosedPortIsRefused() throws Exception {
        ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        int port = gone.getLocalPort();
        gone.close();
        Result r = quick(Target.tcp("127.0.0.1", port)).maxRequests(3).run();
        assertEquals(Map.of(Outcome.REFUSED, 3L), r.counts(), r.toString());
        assertTrue(r.failureSamples(3).get(0).contains("(new connection)"), r.toString());
    }

    @Test
    void rstAfterTheRequestIsReset() throws Exception {
        server = Scripted.tcp(c -> {
            c.request();
            c.reset.run();
        });
        Result r = quick(server.target()).maxRequests(3).run();
        assertEquals(Map.of(Outcome.RESET, 3L), r.counts(), r.toString());
    }

    @Test
    void finBeforeAnyResponseByteIsEof() throws Exception {
        server = Scripted.tcp(c -> {
            c.request();
            c.finish.run();
            Thread.sleep(2000);
        });
        Result r = quick(server.target()).maxRequests(2).run();
        assertEquals(Map.of(Outcome.EOF, 2L), r.counts(), r.toString());
    }

    @Test
    void finInsideTheResponseIsTruncated() throws Exception {
        server = Scripted.tcp(c -> {
            c.request();
            c.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npid=1");
            c.finish.run();
            Thread.sleep(2000);
        });
        Result r = quick(server.target()).maxRequests(2).run();
        assertEquals(Map.of(Outcome.TRUNCATED, 2L), r.counts(), r.toString());
    }

    @Test
    void noAnswerWithinTheRequestTimeoutIsTimeout() throws Exception {
        server = Scripted.tcp(c -> {
            c.request();
            Thread.sleep(3000);
        });
        Result r = quick(server.target()).requestTimeout(Duration.ofMillis(200)).maxRequests(2).run();
        assertEquals(Map.of(Outcome.TIMEOUT, 2L), r.counts(), r.toString());
        assertTrue(r.requests.stream().allMatch(q -> q.latency().toMillis() >= 190), r.toString());
    }

    @Test
    void anErrorStatusIsNon2xxAndStillNamesThePid() throws Exception {
        server = Scripted.tcp(c -> {
            while (c.request() != null) {
                c.send("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 7\r\n\r\npid=42\n");
            }
        });
        Result r = quick(server.target()).maxRequests(2).run();
        assertEquals(Map.of(Outcome.NON_2XX, 2L), r.counts(), r.toString());
        assertEquals(42, r.requests.get(0).pid());
        assertEquals(503, r.requests.get(0).status());
        assertEquals(List.of(), r.pids(), "only successful answers count as serving");
    }

    @Test
    void garbageIsMalformed() throws Exception {
        server = Scripted.tcp(c -> {
            c.request();
            c.send("SSH-2.0-nope\r\n\r\n");
        });
        Result r = quick(server.target()).maxRequests(2).run();
        assertEquals(Map.of(Outcome.MALFORMED, 2L), r.counts(), r.toString());
    }

    @Test
    void keepAliveClientsHonourConnectionCloseAndReconnect() throws Exception {
        server = Scripted.tcp(c -> {
            c.request();
            c.ok(7, true);
            c.finish.run();
        });
        Result r = quick(server.target()).maxRequests(10).run();
        assertEquals(Map.of(Outcome.OK, 10L), r.counts(), r.toString());
        assertEquals(10, server.connections.get(), "a new connection after each Connection: close");
    }

    @Test
    void eofOnAnIdleKeepAliveConnectionIsAFailure() throws Exception {
        // answers once without Connection: close, then closes: the client's next request finds EOF
        server = Scripted.tcp(c -> {
            c.request();
            c.ok(7, false);
            c.finish.run();
            Thread.sleep(2000);
        });
        Result r = quick(server.target()).maxRequests(2).run();
        assertEquals(List.of(Outcome.OK, Outcome.EOF), r.requests.stream().map(HttpLoad.Request::outcome).toList(),
                r.toString());
        assertTrue(r.failureSamples(1).get(0).contains("before any response byte (reused connection)"), r.toString());
    }

    @Test
    void oneShotClientsSendConnectionCloseOnANewConnectionEachTime() throws Exception {
        server = Scripted.tcp(c -> {
            if (c.request() != null) {
                c.ok(7, false);  // the client must close by itself, as it asked
            }
            c.request();
        });
        Result r = quick(server.target()).keepAlive(0).oneShot(1).maxRequests(5).run();
        assertEquals(Map.of(Outcome.OK, 5L), r.counts(), r.toString());
        assertEquals(5, server.connections.get());
        assertTrue(server.requests.stream().allMatch(q -> q.contains("\r\nConnection: close\r\n")), server.requests.toString());
    }

    @Test
    void longClientsAskForSleep() throws Exception {
        server = Scripted.tcp(c -> {
            while (c.request() != null) {
                c.ok(9, false);
            }
        });
        Result r = quick(server.target()).keepAlive(0).longRequests(1, Duration.ofMillis(1500)).maxRequests(2).run();
        assertEquals(2, r.only(Kind.LONG).ok(), r.toString());
        assertTrue(server.requests.get(0).startsWith("GET /sleep?ms=1500 HTTP/1.1\r\n"), server.requests.get(0));
    }

    @Test
    void theDeadlineEndsTheRunWhateverTheCount() throws Exception {
        server = Scripted.tcp(c -> {
            while (c.request() != null) {
                c.ok(1, false);
            }
        });
        long t0 = System.nanoTime();
        HttpLoad load = quick(server.target()).keepAlive(2).oneShot(1).deadline(Duration.ofMillis(300)).start();
        Dewy.await("the load to end by itself", Duration.ofSeconds(5), () -> !load.running());
        Result r = load.stop();
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 3000, "bounded by the deadline");
        assertTrue(r.ok() > 0 && r.failed() == 0, r.toString());
    }

    @Test
    void stopLetsTheRequestsInFlightFinish() throws Exception {
        server = Scripted.tcp(c -> {
            while (c.request() != null) {
                Thread.sleep(300);
                c.ok(3, false);
            }
        });
        HttpLoad load = quick(server.target()).keepAlive(2).start();
        load.awaitOk(Kind.KEEP_ALIVE, 2, Duration.ofSeconds(5));
        Result r = load.stop();
        assertTrue(r.ok() >= 2 && r.failed() == 0, "in-flight requests complete, none is cut off: " + r);
        assertTrue(!load.running());
    }

    @Test
    void unixSocketsWorkAndAPathWithNobodyBehindItIsRefused() throws Exception {
        Path sock = tmp.resolve("app.sock");
        server = Scripted.unix(sock, c -> {
            while (c.request() != null) {
                c.ok(5, false);
            }
        });
        Result r = quick(Target.unix(sock)).keepAlive(1).oneShot(1).maxRequests(6).run();
        assertEquals(Map.of(Outcome.OK, 6L), r.counts(), r.toString());
        Result none = quick(Target.unix(tmp.resolve("nobody.sock"))).maxRequests(2).run();
        assertEquals(Map.of(Outcome.REFUSED, 2L), none.counts(), none.toString());
    }

    @Test
    void failureSamplesSayWhatWhenAndHowLong() throws Exception {
        server = Scripted.tcp(c -> {
            c.request();
            c.reset.run();
        });
        Result r = quick(server.target()).maxRequests(1).run();
        String sample = r.failureSamples(5).get(0);
        assertTrue(sample.matches("KEEP_ALIVE client 0 at \\+0\\.\\d{3}s after \\d+\\.\\d ms: RESET: .*reset.*"), sample);
        assertTrue(r.toString().contains("{RESET=1}"), r.toString());
    }
}
