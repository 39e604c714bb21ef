package dewy.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy over real sockets on 127.0.0.1, with small backends written here: what each does is the point. */
@Timeout(120)
class TcpProxyTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** A backend: one thread per connection, running {@code handler}. */
    private final class Backend implements AutoCloseable {
        final ServerSocket server;
        final List<Socket> accepted = new CopyOnWriteArrayList<>();

        Backend(Handler handler) throws IOException {
            server = new ServerSocket(0, 2048, LOOPBACK);
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        accepted.add(s);
                        Thread h = new Thread(() -> {
                            try (s) {
                                handler.handle(s);
                            } catch (IOException | InterruptedException ignored) {
                                // the test's client went away
                            }
                        });
                        h.setDaemon(true);
                        h.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            open.add(this);
        }

        InetSocketAddress address() {
            return new InetSocketAddress(LOOPBACK, server.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @FunctionalInterface
    private interface Handler {
        void handle(Socket s) throws IOException, InterruptedException;
    }

    /** Answers each line with {@code name} and the line, until EOF. */
    private Backend named(String name) throws IOException {
        return new Backend(s -> {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            for (String line; (line = in.readLine()) != null; ) {
                out.write((name + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        });
    }

    /** Copies everything back until EOF, then closes. */
    private Backend echo() throws IOException {
        return new Backend(s -> s.getInputStream().transferTo(s.getOutputStream()));
    }

    private TcpProxy proxy(TcpProxy.Options options, InetSocketAddress... backends) throws IOException {
        TcpProxy p = TcpProxy.start(new InetSocketAddress(LOOPBACK, 0), options);
        open.add(p);
        p.publish(List.of(backends));
        return p;
    }

    private TcpProxy proxy(InetSocketAddress... backends) throws IOException {
        return proxy(TcpProxy.Options.defaults(), backends);
    }

    private Socket client(TcpProxy p) throws IOException {
        Socket s = new Socket(LOOPBACK, p.address().getPort());
        s.setSoTimeout(20_000);
        open.add(s);
        return s;
    }

    private static String ask(Socket s, String line) throws IOException {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        return readLine(s.getInputStream());
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("EOF after \"" + sb + "\"");
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void newConnectionsGoRoundRobin() throws Exception {
        TcpProxy p = proxy(named("a").address(), named("b").address());
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (Socket s = client(p)) {
                answers.add(ask(s, "hi"));
            }
        }
        assertEquals(List.of("a:hi", "b:hi", "a:hi", "b:hi"), answers);
    }

    @Test
    void aSwitchKeepsOpenConnectionsOnTheirBackendAndSendsNewOnesToTheNew() throws Exception {
        Backend old = named("old");
        TcpProxy p = proxy(old.address());
        Socket before = client(p);
        assertEquals("old:1", ask(before, "1"));
        p.publish(List.of(named("new").address()));
        try (Socket after = client(p)) {
            assertEquals("new:2", ask(after, "2"));
        }
        assertEquals("old:3", ask(before, "3"), "the open connection stays on the old backend");
        assertEquals(1, p.connectionsTo(old.address()));
        before.close();
        await("the old backend drained", () -> p.connectionsTo(old.address()) == 0);
    }

    // ---- handing a retired backend's connections over (HTTP/1.x, --proxy) ---------------------------------------

    /** Reads one line and closes without answering it: a server in its graceful stop that will not serve it. */
    private Backend closesUnanswered(java.util.concurrent.atomic.AtomicInteger got) throws IOException {
        return new Backend(s -> {
            if (readLine(s.getInputStream()) != null) {
                got.incrementAndGet();
            }
        });
    }

    @Test
    void aRequestARetiredBackendClosesUnansweredIsSentAgainToAPublishedOne() throws Exception {
        java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
        Backend old = closesUnanswered(got);
        TcpProxy p = proxy(TcpProxy.Options.http(), old.address());
        Socket s = client(p);
        await("connected to the old backend", () -> p.connectionsTo(old.address()) == 1);
        p.publish(List.of(named("new").address())); // the old one is retired, and will not serve what comes
        assertEquals("new:1", ask(s, "1"), "answered on the same client connection");
        assertEquals(1, got.get(), "the old backend had it, and closed it unanswered");
        assertEquals("new:2", ask(s, "2"));
        assertEquals(1, p.stats().handedOver(), p.stats().toString());
    }

    @Test
    void aRetiredBackendsCloseOfAnIdleConnectionWaitsForTheClientsNextRequest() throws Exception {
        Backend old = new Backend(s -> {
            var in = s.getInputStream();
            readLine(in);
            s.getOutputStream().write("old:1\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            Thread.sleep(300); // then its graceful stop closes the idle keep-alive connection
        });
        TcpProxy p = proxy(TcpProxy.Options.http(), old.address());
        Socket s = client(p);
        assertEquals("old:1", ask(s, "1"));
        p.publish(List.of(named("new").address()));
        Thread.sleep(320); // the old backend has closed; the client does not know yet and sends its next request
        assertEquals("new:2", ask(s, "2"), "not a closed connection: the close was held and the request handed over");
        assertEquals(1, p.stats().handedOver());
    }

    @Test
    void aRetiredBackendsResetOfAnIdleConnectionWaitsForTheClientsNextRequestToo() throws Exception {
        Backend old = new Backend(s -> {
            readLine(s.getInputStream());
            s.getOutputStream().write("old:1\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            Thread.sleep(300);
            s.setSoLinger(true, 0); // a replica killed: its connections end with a reset
        });
        TcpProxy p = proxy(TcpProxy.Options.http(), old.address());
        Socket s = client(p);
        assertEquals("old:1", ask(s, "1"));
        p.publish(List.of(named("new").address()));
        Thread.sleep(320);
        assertEquals("new:2", ask(s, "2"));
        assertEquals(1, p.stats().handedOver());
    }

    @Test
    void aRetiredBackendsCloseIsPassedOnWhenTheClientSendsNothing() throws Exception {
        Backend old = new Backend(s -> {
            readLine(s.getInputStream());
            s.getOutputStream().write("old:1\n".getBytes(StandardCharsets.UTF_8)); // and close: a close-delimited end
        });
        TcpProxy p = proxy(TcpProxy.Options.http(), old.address());
        Socket s = client(p);
        await("connected", () -> p.connectionsTo(old.address()) == 1);
        p.publish(List.of(named("new").address()));
        s.getOutputStream().write("1\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("old:1", readLine(s.getInputStream()));
        long t0 = System.nanoTime();
        assertEquals(-1, s.getInputStream().read(), "the close reaches the client");
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "held for the handover time only");
        assertEquals(0, p.stats().handedOver());
    }

    @Test
    void aPublishedBackendThatClosesUnansweredIsNeverSentTheRequestAgain() throws Exception {
        java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
        Backend crashing = closesUnanswered(got);
        TcpProxy p = proxy(TcpProxy.Options.http(), crashing.address(), named("other").address());
        Socket s = client(p);
        await("connected to the first backend", () -> p.connectionsTo(crashing.address()) == 1);
        s.getOutputStream().write("1\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(-1, s.getInputStream().read(), "it may have acted on it: the client hears of the close");
        assertEquals(1, got.get());
        assertEquals(0, p.stats().handedOver());
    }

    @Test
    void withoutHandoverARetiredBackendsCloseReachesTheClient() throws Exception {
        java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
        Backend old = closesUnanswered(got);
        TcpProxy p = proxy(old.address()); // the defaults: plain TCP, no idea what a request is
        Socket s = client(p);
        await("connected", () -> p.connectionsTo(old.address()) == 1);
        p.publish(List.of(named("new").address()));
        s.getOutputStream().write("1\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(-1, s.getInputStream().read());
        assertEquals(0, p.stats().handedOver());
    }

    @Test
    void closeConnectionsToEndsTheDrain() throws Exception {
        Backend old = named("old");
        TcpProxy p = proxy(old.address());
        Socket s = client(p);
        assertEquals("old:1", ask(s, "1"));
        p.publish(List.of(named("new").address()));
        p.closeConnectionsTo(old.address());
        assertEquals(-1, s.getInputStream().read(), "closed by the proxy");
        await("no connection left", () -> p.connectionsTo(old.address()) == 0);
    }

    @Test
    void aClientThatArrivesWithNoBackendWaitsForOne() throws Exception {
        TcpProxy p = proxy();
        Socket s = client(p);
        s.getOutputStream().write("early\n".getBytes(StandardCharsets.UTF_8));
        Thread.sleep(300);
        p.publish(List.of(named("late").address()));
        assertEquals("late:early", readLine(s.getInputStream()));
    }

    @Test
    void aBackendThatRefusesIsSkipped() throws Exception {
        InetSocketAddress dead;
        try (ServerSocket gone = new ServerSocket(0, 1, LOOPBACK)) {
            dead = new InetSocketAddress(LOOPBACK, gone.getLocalPort());
        }
        TcpProxy p = proxy(dead, named("live").address());
        for (int i = 0; i < 6; i++) {
            try (Socket s = client(p)) {
                assertEquals("live:" + i, ask(s, "" + i));
            }
        }
        assertTrue(p.stats().connectFailures() >= 3, p.stats().toString());
    }

    @Test
    void halfClosesAreForwardedBothWays() throws Exception {
        Backend b = new Backend(s -> {
            byte[] all = s.getInputStream().readAllBytes(); // until the client's half-close arrives
            s.getOutputStream().write(("got " + all.length).getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
        });
        TcpProxy p = proxy(b.address());
        Socket s = client(p);
        s.getOutputStream().write(new byte[100_000]);
        s.shutdownOutput();
        assertEquals("got 100000", new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        await("the pipe closed", () -> p.connectionsTo(b.address()) == 0);
    }

    @Test
    void aBackendResetReachesTheClientAsAReset() throws Exception {
        Backend b = new Backend(s -> {
            s.getInputStream().read();
            s.setSoLinger(true, 0); // close with RST
        });
        TcpProxy p = proxy(b.address());
        Socket s = client(p);
        s.getOutputStream().write('x');
        assertThrows(SocketException.class, () -> s.getInputStream().read());
        await("the pipe closed", () -> p.connectionsTo(b.address()) == 0);
    }

    @Test
    void aSlowClientGetsEveryByteInOrder() throws Exception {
        byte[] payload = new byte[16 << 20];
        new Random(3).nextBytes(payload);
        Backend b = new Backend(s -> {
            s.getOutputStream().write(payload);
            s.shutdownOutput();
            s.getInputStream().read();
        });
        TcpProxy p = proxy(b.address());
        Socket s = client(p);
        InputStream in = s.getInputStream();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        long nextPause = 0;
        s.setSoTimeout(5_000);
        for (int n; (n = readOrSay(in, buf, got.size(), p)) >= 0; ) {
            got.write(buf, 0, n);
            if (got.size() >= nextPause) {
                nextPause += 64 * 1024;
                Thread.sleep(2); // slower than the backend writes: the proxy must hold back, not drop
            }
        }
        assertArrayEquals(payload, got.toByteArray());
    }

    private static int readOrSay(InputStream in, byte[] buf, int sofar, TcpProxy p) throws IOException {
        try {
            return in.read(buf);
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("stalled after " + sofar + " bytes; " + p.stats(), e);
        }
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        TcpProxy p = proxy(new TcpProxy.Options(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ZERO),
                named("a").address());
        Socket s = client(p);
        assertEquals("a:1", ask(s, "1"));
        long t = System.nanoTime();
        assertEquals(-1, s.getInputStream().read());
        long waited = (System.nanoTime() - t) / 1_000_000;
        assertTrue(waited >= 300, "closed after the idle timeout, not at once: " + waited + " ms");
        assertEquals(1, p.stats().idleClosed());
    }

    @Test
    void aThousandConcurrentConnections() throws Exception {
        TcpProxy p = proxy(echo().address());
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            clients.add(client(p));
        }
        for (int i = 0; i < clients.size(); i++) {
            clients.get(i).getOutputStream().write(("c" + i + "\n").getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < clients.size(); i++) {
            assertEquals("c" + i, readLine(clients.get(i).getInputStream()));
        }
        for (Socket c : clients) {
            c.close();
        }
        await("every pipe closed", () -> p.stats().closed() == 1000);
    }

    @Test
    void tenThousandConnectionsLeakNoDescriptor() throws Exception {
        Backend b = echo();
        TcpProxy p = proxy(b.address());
        for (int i = 0; i < 200; i++) { // warm up: the JDK's own descriptors (selector, epoll) are opened by now
            roundTrip(p, i);
        }
        await("warm-up pipes closed", () -> p.stats().closed() == 200);
        long before = openDescriptors();
        CountDownLatch done = new CountDownLatch(4);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < 2_500; i++) {
                        roundTrip(p, i);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    done.countDown();
                }
            });
            th.start();
        }
        assertTrue(done.await(100, TimeUnit.SECONDS), "10,000 connections in time");
        assertEquals(List.of(), failures);
        await("every pipe closed", () -> p.stats().closed() == 10_200);
        // the test's clients and the backend live in this JVM too: all of them closed, the count is back
        await("no descriptor left open (before " + before + ")", () -> openDescriptors() <= before + 2);
        assertEquals(0, p.connectionsTo(b.address()));
    }

    private void roundTrip(TcpProxy p, int i) throws IOException {
        try (Socket s = new Socket(LOOPBACK, p.address().getPort())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("r" + i + "\n").getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            assertEquals("r" + i + "\n", new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static long openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
