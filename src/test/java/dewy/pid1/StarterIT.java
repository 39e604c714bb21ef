package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * dewy's sockets and the protocols around them, as PID 1: what each generation inherits (byte for byte), READY=1
 * gating the swap, HUP to every generation, a failed new generation, crash loops, /readyz during a drain, and no
 * descriptor leaks across 100 restarts. Every server listens on loopback only.
 */
class StarterIT {
    @TempDir
    Path tmp;

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Lines of the generation file that start with "G " for generation G, without that prefix. */
    static List<String> of(Path file, int generation) {
        String prefix = generation + " ";
        return Dewy.lines(file).stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()))
                .toList();
    }

    static String value(Path file, int generation, String key) {
        for (String l : of(file, generation)) {
            if (l.startsWith(key)) {
                return l.substring(key.length());
            }
        }
        throw new AssertionError("generation " + generation + " wrote no \"" + key + "\":\n" + Dewy.read(file));
    }

    static int httpStatus(int port, String path) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
                    .openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(2000);
            int code = c.getResponseCode();
            c.disconnect();
            return code;
        } catch (IOException e) {
            return -1;
        }
    }

    static String httpBody(int port, String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(2000);
        try (var in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream()) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private Dewy startGenerations(Path file, List<String> dewyOptions, String... appTail) throws IOException {
        List<String> app = new ArrayList<>(List.of("generation", file.toString()));
        app.addAll(List.of(appTail));
        Dewy dewy = Dewy.start(Mode.PID1, tmp, TestApp.command(dewyOptions, app.toArray()));
        Dewy.await("generation 1 to write its pid", Duration.ofSeconds(20), () -> !of(file, 1).isEmpty());
        return dewy.awaitStarted();
    }

    @Test
    void eachGenerationInheritsTheSocketsAndExactVariables() throws Exception {
        int tcp = freePort();
        int v6 = freePort();
        Path sock = tmp.resolve("app.sock");
        Path file = tmp.resolve("gen");
        String ports = "127.0.0.1:" + tcp + "," + sock + ",[::1]:" + v6;
        try (Dewy dewy = startGenerations(file, List.of("--port", ports, "--ready", "notify"))) {
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            String pid = value(file, 1, "pid ");
            assertEquals("127.0.0.1:" + tcp + "=3;" + sock + "=4;[::1]:" + v6 + "=5",
                    value(file, 1, "env SERVER_STARTER_PORT="));
            assertEquals("1", value(file, 1, "env SERVER_STARTER_GENERATION="));
            assertEquals("3", value(file, 1, "env LISTEN_FDS="));
            assertEquals("127.0.0.1_" + tcp + ":" + sock + ":[__1]_" + v6, value(file, 1, "env LISTEN_FDNAMES="));
            assertEquals(pid, value(file, 1, "env LISTEN_PID="), "LISTEN_PID is the application's own pid");
            assertTrue(value(file, 1, "env NOTIFY_SOCKET=").endsWith("/notify-1.sock"));
            assertEquals(List.of("fd 0 other", "fd 1 other", "fd 2 other", "fd 3 listening-socket",
                    "fd 4 listening-socket", "fd 5 listening-socket"),
                    of(file, 1).stream().filter(l -> l.startsWith("fd ")).sorted().toList(),
                    "the three sockets and stdio, nothing of dewy's");
            // dewy listens on all three: connections complete (the kernel queues them for the application)
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", tcp), 2000);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("::1", v6), 2000);
            }
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(sock));
            }

            dewy.signal(Signals.SIGUSR1);
            Dewy.awaitLines(file, "2 ready", 1, Duration.ofSeconds(10));
            assertEquals("2", value(file, 2, "env SERVER_STARTER_GENERATION="));
            assertEquals(value(file, 2, "pid "), value(file, 2, "env LISTEN_PID="));
            assertTrue(value(file, 2, "env NOTIFY_SOCKET=").endsWith("/notify-2.sock"), "a socket of its own");
            assertEquals(value(file, 1, "env SERVER_STARTER_PORT="), value(file, 2, "env SERVER_STARTER_PORT="));
            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(10)));
        }
        assertFalse(Files.exists(sock), "dewy removes its unix socket when it exits");
    }

    /** Go dewy's {@code --port 8000-8002}: one socket per port, fds 3 to 5, named as one entry each. */
    @Test
    void aPortRangeIsOneSocketPerPort() throws Exception {
        int first = freeRange(3);
        Path file = tmp.resolve("gen");
        try (Dewy dewy = startGenerations(file, List.of("--port", "127.0.0.1:" + first + "-" + (first + 2), "--ready",
                "notify"))) {
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            assertEquals("127.0.0.1:" + first + "=3;127.0.0.1:" + (first + 1) + "=4;127.0.0.1:" + (first + 2) + "=5",
                    value(file, 1, "env SERVER_STARTER_PORT="));
            assertEquals("3", value(file, 1, "env LISTEN_FDS="));
            assertEquals(List.of("fd 0 other", "fd 1 other", "fd 2 other", "fd 3 listening-socket",
                    "fd 4 listening-socket", "fd 5 listening-socket"),
                    of(file, 1).stream().filter(l -> l.startsWith("fd ")).sorted().toList());
            for (int p = first; p <= first + 2; p++) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", p), 2000);
                }
            }
        }
    }

    /** The first of {@code n} consecutive free ports on 127.0.0.1. */
    private static int freeRange(int n) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int first = freePort();
            if (first + n - 1 > 65535) {
                continue;
            }
            List<java.net.ServerSocket> held = new ArrayList<>();
            try {
                for (int p = first; p < first + n; p++) {
                    held.add(new java.net.ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress()));
                }
                return first;
            } catch (IOException taken) {
                // try another
            } finally {
                for (java.net.ServerSocket s : held) {
                    s.close();
                }
            }
        }
        throw new IOException("no " + n + " consecutive free ports");
    }

    /** systemd socket activation of dewy itself: the sockets it was given go to every generation, from fd 3. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Mode.class, names = {"PID1", "PID1_RELAUNCH"})
    void socketsSystemdPassedToDewyReachEveryGeneration(Mode mode) throws Exception {
        int passed = freePort();
        int own = freePort();
        Path file = tmp.resolve("gen");
        // python binds like systemd would, puts the socket on fd 3 and execs unshare (dewy is then PID 1)
        String activate = "import os, socket, sys\n"
                + "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                + "s.bind(('127.0.0.1', " + passed + ")); s.listen(16)\n"
                + "if s.fileno() != 3: os.dup2(s.fileno(), 3)\n"
                + "os.set_inheritable(3, True); os.execvp(sys.argv[1], sys.argv[1:])\n";
        try (Dewy dewy = Dewy.startWrapped(List.of("python3", "-c", activate), mode, tmp,
                Map.of("LISTEN_PID", "1", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "web"),
                TestApp.command(List.of("--port", "127.0.0.1:" + own), "generation", file))) {
            dewy.awaitStarted();
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            assertEquals("web=3;127.0.0.1:" + own + "=4", value(file, 1, "env SERVER_STARTER_PORT="));
            assertEquals("2", value(file, 1, "env LISTEN_FDS="));
            assertEquals("web:127.0.0.1_" + own, value(file, 1, "env LISTEN_FDNAMES="));
            assertEquals(value(file, 1, "pid "), value(file, 1, "env LISTEN_PID="));
            assertEquals(List.of("fd 0 other", "fd 1 other", "fd 2 other", "fd 3 listening-socket",
                    "fd 4 listening-socket"), of(file, 1).stream().filter(l -> l.startsWith("fd ")).sorted().toList());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", passed), 2000);
            }
        }
    }

    @Test
    void socketOnFdZeroForInheritedChannel() throws Exception {
        int port = freePort();
        Path file = tmp.resolve("gen");
        try (Dewy dewy = startGenerations(file, List.of("--port", "127.0.0.1:" + port + "=0"))) {
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            assertEquals("127.0.0.1:" + port + "=0", value(file, 1, "env SERVER_STARTER_PORT="));
            assertEquals("(unset)", value(file, 1, "env LISTEN_FDS="), "systemd's protocol starts at fd 3");
            assertEquals(List.of("fd 0 listening-socket", "fd 1 other", "fd 2 other"),
                    of(file, 1).stream().filter(l -> l.startsWith("fd ")).sorted().toList());
        }
    }

    @Test
    void javaAppGetsItsServerSocketFromSystemInheritedChannel() throws Exception {
        int port = freePort();
        Path app = tmp.resolve("Inherited.java");
        Files.writeString(app, """
                import java.nio.channels.*;
                import java.nio.*;
                public class Inherited {
                    public static void main(String[] a) throws Exception {
                        ServerSocketChannel server = (ServerSocketChannel) System.inheritedChannel();
                        while (true) {
                            try (SocketChannel c = server.accept()) {
                                c.read(ByteBuffer.allocate(4096));
                                String body = "inherited " + server.getLocalAddress() + "\\n";
                                c.write(ByteBuffer.wrap(("HTTP/1.0 200 OK\\r\\nContent-Length: " + body.length()
                                        + "\\r\\n\\r\\n" + body).getBytes()));
                            }
                        }
                    }
                }
                """);
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + port + "=0", "--", Dewy.JAVA,
                "-Xshare:auto", app.toString())) {
            dewy.awaitStarted();
            Dewy.await("the Java app to answer", Duration.ofSeconds(30), () -> httpStatus(port, "/") == 200);
            assertEquals("inherited /127.0.0.1:" + port + "\n", httpBody(port, "/"));
        }
    }

    @Test
    void ready1GatesTheSwap() throws Exception {
        Path file = tmp.resolve("gen");
        try (Dewy dewy = startGenerations(file, List.of("--port", "127.0.0.1:" + freePort(), "--ready", "notify"),
                "1500")) {
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            dewy.signal(Signals.SIGUSR1);
            Dewy.await("generation 2 to start", Duration.ofSeconds(10), () -> !of(file, 2).isEmpty());
            Dewy.sleep(1000);
            assertFalse(of(file, 1).contains("sig 15"), "generation 1 must serve until generation 2 says READY=1");
            Dewy.awaitLines(file, "1 sig 15", 1, Duration.ofSeconds(10));
            List<String> all = Dewy.lines(file);
            assertTrue(all.indexOf("2 ready") < all.indexOf("1 sig 15"), "READY=1 first, then TERM to the old: " + all);
            dewy.awaitLog("msg=restarted generation=2", 1, Duration.ofSeconds(5));
        }
    }

    /** Generation 2 of this command never says READY=1; the others do. */
    private static String[] secondNeverReady(Path file, List<String> dewyOptions) {
        String script = "if [ \"$SERVER_STARTER_GENERATION\" = 2 ]; then exec " + TestApp.path() + " generation "
                + file + " never; else exec " + TestApp.path() + " generation " + file + "; fi";
        List<String> all = new ArrayList<>(dewyOptions);
        all.addAll(List.of("--", "/bin/sh", "-c", script));
        return all.toArray(String[]::new);
    }

    @Test
    void hupReachesEveryLiveGeneration() throws Exception {
        Path file = tmp.resolve("gen");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, secondNeverReady(file, List.of("--port",
                "127.0.0.1:" + freePort(), "--ready", "notify", "--ready-timeout", "30s")))) {
            dewy.awaitStarted();
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            dewy.signal(Signals.SIGUSR1);
            Dewy.await("generation 2 to start", Duration.ofSeconds(10), () -> of(file, 2).size() > 3);
            dewy.signal(Signals.SIGHUP);
            Dewy.awaitLines(file, "1 sig 1", 1, Duration.ofSeconds(5));
            Dewy.awaitLines(file, "2 sig 1", 1, Duration.ofSeconds(5));
            assertTrue(dewy.alive());
        }
    }

    @Test
    void newGenerationThatIsNeverReadyIsStoppedAndTheOldKeepsRunning() throws Exception {
        Path file = tmp.resolve("gen");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, secondNeverReady(file, List.of("--port",
                "127.0.0.1:" + freePort(), "--ready", "notify", "--ready-timeout", "1s")))) {
            dewy.awaitStarted();
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            dewy.signal(Signals.SIGUSR1);
            Dewy.awaitLines(file, "2 sig 15", 1, Duration.ofSeconds(10));
            dewy.awaitLog("msg=\"restart failed; the running generation keeps serving\" generation=2", 1,
                    Duration.ofSeconds(5));
            Dewy.sleep(300);
            assertEquals(List.of(), of(file, 1).stream().filter(l -> l.startsWith("sig")).toList(),
                    "generation 1 was never signalled");
            assertTrue(dewy.alive());
            // and the next USR1 works: generation 3 is ready and replaces 1
            dewy.signal(Signals.SIGUSR1);
            Dewy.awaitLines(file, "3 ready", 1, Duration.ofSeconds(10));
            Dewy.awaitLines(file, "1 sig 15", 1, Duration.ofSeconds(10));
        }
    }

    @Test
    void newGenerationThatCrashesOnStartLeavesTheOldRunning() throws Exception {
        Path file = tmp.resolve("gen");
        Path broken = tmp.resolve("broken");
        String script = "if [ -e " + broken + " ]; then exit 3; fi; exec " + TestApp.path() + " generation " + file;
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + freePort(), "--ready", "notify", "--",
                "/bin/sh", "-c", script)) {
            dewy.awaitStarted();
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            Files.writeString(broken, "");
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("msg=\"restart failed; the running generation keeps serving\" generation=2", 1,
                    Duration.ofSeconds(10));
            assertTrue(dewy.log().contains("exited with 3"), dewy.log());
            Dewy.sleep(300);
            assertEquals(List.of(), of(file, 1).stream().filter(l -> l.startsWith("sig")).toList());
            assertTrue(dewy.alive());
        }
    }

    @Test
    void crashLoopBacksOffThenExitsWithTheApplicationsStatus() throws Exception {
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, TestApp.command(List.of("--port", "127.0.0.1:" + freePort(),
                "--restart-delay", "200ms", "--max-restarts", "3"), "exit", 4))) {
            long start = System.nanoTime();
            assertEquals(4, dewy.awaitExit(Duration.ofSeconds(20)));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            String log = dewy.log();
            assertEquals(4, dewy.countLog("msg=\"generation exited\""), log);
            assertTrue(log.contains("backoff=200ms") && log.contains("backoff=400ms") && log.contains("backoff=800ms"),
                    log);
            assertTrue(log.contains("msg=\"crash loop: giving up and exiting with the application's status\""), log);
            assertTrue(elapsedMs >= 1400, "the backoffs add up to 1.4 s, took " + elapsedMs + " ms");
        }
    }

    /** go-server-starter #18/#22: an application that binds the port itself can never start; dewy says so and stops. */
    @Test
    void applicationBindingThePortItselfIsDiagnosedAndDoesNotLoopForever() throws Exception {
        int port = freePort();
        String bindItself = "import socket; s = socket.socket(); s.bind(('127.0.0.1', " + port + ")); s.listen()";
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + port, "--restart-delay", "100ms",
                "--max-restarts", "2", "--", "python3", "-c", bindItself)) {
            assertEquals(1, dewy.awaitExit(Duration.ofSeconds(30)));
            assertTrue(dewy.log().contains("if it binds its port itself, that fails with \\\"address already in use\\\""),
                    dewy.log());
        }
    }

    /** The other face of #18/#22: an application that listens on a port of its own, ignoring dewy's sockets. */
    @Test
    void applicationListeningOnAPortOfItsOwnIsReported() throws Exception {
        int passed = freePort();
        int own = freePort();
        String listensItself = "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', " + own + ")); "
                + "s.listen(); time.sleep(60)";
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + passed, "--ready", "delay:1s", "--",
                "python3", "-c", listensItself)) {
            dewy.awaitLog("msg=\"the application listens on ports of its own", 1, Duration.ofSeconds(15));
            assertTrue(dewy.log().contains("own=127.0.0.1:" + own), dewy.log());
            assertFalse(dewy.log().contains("own=127.0.0.1:" + passed), "dewy's own socket is not reported");
        }
    }

    @Test
    void readyzSays503DuringTheDrainDelayWhileTheAppStillServes() throws Exception {
        int admin = freePort();
        Path file = tmp.resolve("gen");
        try (Dewy dewy = startGenerations(file, List.of("--port", "127.0.0.1:" + freePort(), "--ready", "notify",
                "--admin", Integer.toString(admin), "--drain-delay", "2s"))) {
            Dewy.await("/readyz 200", Duration.ofSeconds(10), () -> httpStatus(admin, "/readyz") == 200);
            assertEquals(200, httpStatus(admin, "/healthz"));
            dewy.signal(Signals.SIGTERM);
            Dewy.await("/readyz 503", Duration.ofSeconds(2), () -> httpStatus(admin, "/readyz") == 503);
            assertEquals(200, httpStatus(admin, "/healthz"), "the application still runs");
            assertFalse(of(file, 1).contains("sig 15"), "no stop signal during the drain delay");
            Dewy.awaitLines(file, "1 sig 15", 1, Duration.ofSeconds(5));
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(10)));
            String log = dewy.log();
            assertTrue(log.indexOf("drain delay over") > log.indexOf("msg=draining"), log);
        }
    }

    @Test
    void statusEndpointPidFileAndStatusFile() throws Exception {
        int admin = freePort();
        int port = freePort();
        Path file = tmp.resolve("gen");
        Path pidFile = tmp.resolve("dewy.pid");
        Path statusFile = tmp.resolve("status");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, secondNeverReady(file, List.of("--port", "127.0.0.1:" + port,
                "--ready", "notify", "--ready-timeout", "30s", "--admin", "127.0.0.1:" + admin,
                "--pid-file", pidFile.toString(), "--status-file", statusFile.toString())))) {
            dewy.awaitStarted();
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            assertEquals("1\n", Dewy.read(pidFile), "dewy's pid in its namespace");
            String pid1 = value(file, 1, "pid ");
            Dewy.await("status file", Duration.ofSeconds(5), () -> Dewy.read(statusFile).equals("1:" + pid1 + "\n"));
            dewy.signal(Signals.SIGUSR1);
            Dewy.await("generation 2 to start", Duration.ofSeconds(10), () -> of(file, 2).size() > 3);
            String pid2 = value(file, 2, "pid ");
            Dewy.await("status file with both", Duration.ofSeconds(5),
                    () -> Dewy.read(statusFile).equals("1:" + pid1 + "\n2:" + pid2 + "\n"));
            String status = httpBody(admin, "/status");
            assertTrue(status.startsWith("{\"version\":\""), status);
            assertTrue(status.contains("\"pid\":1,\"phase\":\"running\",\"draining\":false,\"ready\":true,\"alive\":true,"
                    + "\"restarts\":1,\"crash_restarts\":0,\"current\":{\"generation\":1,\"pid\":" + pid1 + "}"), status);
            assertTrue(status.contains("{\"generation\":2,\"pid\":" + pid2 + ",\"state\":\"starting\""), status);
            assertTrue(status.contains("\"status_text\":\"testapp serving\""), status);
            assertTrue(status.contains("\"listeners\":[{\"spec\":\"127.0.0.1:" + port + "\",\"fd\":3,\"port\":" + port
                    + "}]"), status);
            assertEquals(404, httpStatus(admin, "/nope"));
            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(10)));
        }
        assertFalse(Files.exists(pidFile), "removed at exit");
        assertFalse(Files.exists(statusFile), "removed at exit");
    }

    @Test
    void noDescriptorLeaksAfter100Restarts() throws Exception {
        Path file = tmp.resolve("gen");
        try (Dewy dewy = startGenerations(file, List.of("--port", "127.0.0.1:" + freePort(), "--ready", "notify",
                "--admin", Integer.toString(freePort())))) {
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            dewy.awaitLog("msg=\"admin server\"", 1, Duration.ofSeconds(5));
            Dewy.sleep(200);
            List<String> before = fds(dewy.pid());
            for (int g = 2; g <= 101; g++) {
                dewy.signal(Signals.SIGUSR1);
                dewy.awaitLog("msg=restarted generation=" + g + " ", 1, Duration.ofSeconds(10));
            }
            Dewy.await("the last old generation to exit", Duration.ofSeconds(10),
                    () -> dewy.countLog("msg=\"generation exited\"") == 100);
            // the listener inspection after the last swap reads /proc/PID/net/tcp* off the loop: a file open for a
            // moment is not a leak, one that stays open is; the list compared is the one that matched (a later look
            // may catch the next inspection's file)
            var after = new java.util.concurrent.atomic.AtomicReference<List<String>>();
            Dewy.await("dewy's descriptors back to " + before.size() + ": " + before, Duration.ofSeconds(5),
                    () -> {
                        try {
                            after.set(fds(dewy.pid()));
                            return after.get().size() == before.size();
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            assertEquals(before.size(), after.get().size(), "dewy's descriptors before " + before + "\nafter "
                    + after.get());
            assertEquals(List.of("fd 0 other", "fd 1 other", "fd 2 other", "fd 3 listening-socket"),
                    of(file, 101).stream().filter(l -> l.startsWith("fd ")).sorted().toList(),
                    "generation 101 inherits exactly what generation 1 did");
            assertEquals(1, dewy.children().size(), "one generation left");
            assertEquals(List.of(), Dewy.zombieChildren(dewy.pid()));
        }
    }

    /** dewy's open descriptors by kind (socket, anon_inode:[signalfd], a path), as the host sees them. */
    static List<String> fds(int pid) throws IOException {
        List<String> kinds = new ArrayList<>();
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : (Iterable<Path>) list::iterator) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    kinds.add(target.startsWith("socket:") ? "socket" : target);
                } catch (IOException e) {
                    // closed while listing
                }
            }
        }
        return kinds.stream().sorted().collect(Collectors.toList());
    }

    /**
     * systemd's side of Type=notify-reload, replayed byte for byte: a datagram socket as NOTIFY_SOCKET and
     * WATCHDOG_USEC. dewy extends the start timeout, says READY=1 once its application is ready, answers a USR1
     * (systemd's ReloadSignal=SIGUSR1) with RELOADING=1 and the signal's CLOCK_MONOTONIC time in one datagram and
     * READY=1 once the new generation is ready, pings the watchdog at half its interval, and says STOPPING=1 with
     * the drain's own bound when it drains. The application talks to dewy, never to systemd.
     */
    @Test
    void dewyNotifiesSystemdItself() throws Exception {
        Path socket = tmp.resolve("systemd-notify.sock");
        Path received = tmp.resolve("received");
        Process python = systemdSocket(socket, received);
        try {
            Path file = tmp.resolve("gen");
            try (Dewy dewy = Dewy.start(Mode.SUBREAPER, tmp, Map.of("NOTIFY_SOCKET", socket.toString(),
                    "WATCHDOG_USEC", "2000000"), TestApp.command(List.of("--port", "127.0.0.1:" + freePort(),
                    "--ready", "notify", "--ready-timeout", "20s", "--grace-period", "10s"), "generation", file))) {
                dewy.awaitStarted();
                Dewy.await("READY=1", Duration.ofSeconds(10), () -> told(received).size() >= 2);
                assertEquals("EXTEND_TIMEOUT_USEC=25000000", told(received).get(0), "--ready-timeout 20s and 5s");
                assertEquals("READY=1|MAINPID=" + dewy.pid() + "|STATUS=serving, generation 1", told(received).get(1));
                assertTrue(value(file, 1, "env NOTIFY_SOCKET=").endsWith("/notify-1.sock"),
                        "the application talks to dewy, not to systemd");
                assertEquals("2000000", value(file, 1, "env WATCHDOG_USEC="), "the watchdog relayed");

                long before = System.nanoTime() / 1000; // CLOCK_MONOTONIC, as systemd reads it
                dewy.signal(Signals.SIGUSR1);
                Dewy.await("the reload", Duration.ofSeconds(15), () -> told(received).size() >= 4);
                long after = System.nanoTime() / 1000;
                String reloading = told(received).get(2);
                assertTrue(reloading.matches("RELOADING=1\\|MONOTONIC_USEC=\\d+\\|STATUS=reloading"
                        + "\\|EXTEND_TIMEOUT_USEC=35000000"), reloading);
                long usec = Long.parseLong(reloading.split("\\|")[1].substring("MONOTONIC_USEC=".length()));
                assertTrue(before <= usec && usec <= after, before + " <= " + usec + " <= " + after);
                assertEquals("READY=1|STATUS=serving, generation 2", told(received).get(3));

                Dewy.await("watchdog pings", Duration.ofSeconds(10),
                        () -> Dewy.lines(received).stream().filter("WATCHDOG=1"::equals).count() >= 3);
                dewy.signal(Signals.SIGTERM);
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(10)));
                assertEquals("STOPPING=1|STATUS=draining|EXTEND_TIMEOUT_USEC=15000000", told(received).get(4),
                        "--grace-period 10s and 5s");
                assertEquals(5, told(received).size(), told(received).toString());
            }
        } finally {
            python.destroyForcibly();
        }
    }

    /**
     * The relayed watchdog: under systemd's WATCHDOG_USEC each generation gets it too; one that pings dewy and then
     * hangs gets SIGABRT and is replaced, while dewy keeps pinging systemd.
     */
    @Test
    void aGenerationThatStopsPingingTheRelayedWatchdogIsReplaced() throws Exception {
        Path socket = tmp.resolve("systemd-notify.sock");
        Path received = tmp.resolve("received");
        Process python = systemdSocket(socket, received);
        try {
            Path file = tmp.resolve("gen");
            try (Dewy dewy = Dewy.start(Mode.SUBREAPER, tmp, Map.of("NOTIFY_SOCKET", socket.toString(),
                    "WATCHDOG_USEC", "1000000", "DEWY_TEST_WATCHDOG_PINGS", "4"), TestApp.command(List.of("--port",
                    "127.0.0.1:" + freePort(), "--ready", "notify", "--grace-period", "2s"), "generation", file))) {
                dewy.awaitStarted();
                Dewy.awaitLines(file, "1 hangs", 1, Duration.ofSeconds(10));
                assertEquals("1000000", value(file, 1, "env WATCHDOG_USEC="));
                Dewy.awaitLines(file, "1 sig 6", 1, Duration.ofSeconds(10)); // SIGABRT: systemd's WatchdogSignal
                dewy.awaitLog("msg=\"generation missed its watchdog; stopping it with SIGABRT and restarting as a "
                        + "crash\" generation=1 ", 1, Duration.ofSeconds(5));
                Dewy.awaitLines(file, "2 ready", 1, Duration.ofSeconds(10));
                assertTrue(Dewy.lines(received).contains("WATCHDOG=1"), "dewy's own pings go on");
                dewy.signal(Signals.SIGTERM);
                dewy.awaitExit(Duration.ofSeconds(15));
            }
        } finally {
            python.destroyForcibly();
        }
    }

    /**
     * systemd's side of sd_notify: a datagram socket at {@code socket}; each datagram becomes one line of
     * {@code received}, newlines as {@code |}. Returns once it is bound.
     */
    private static Process systemdSocket(Path socket, Path received) throws IOException {
        String receiver = "import socket, sys\n"
                + "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])\n"
                + "open(sys.argv[2] + '.up', 'w').close()\n"
                + "while True:\n"
                + "    m = s.recv(4096).decode()\n"
                + "    with open(sys.argv[2], 'a') as f: f.write(m.replace('\\n', '|') + '\\n')\n";
        Process python = new ProcessBuilder("python3", "-c", receiver, socket.toString(), received.toString())
                .inheritIO().start();
        try {
            Dewy.await("the receiver", Duration.ofSeconds(10), () -> Files.exists(Path.of(received + ".up")));
        } catch (RuntimeException | AssertionError e) {
            python.destroyForcibly();
            throw e;
        }
        return python;
    }

    /** What dewy told systemd, without the watchdog's pings. */
    private static List<String> told(Path received) {
        return Dewy.lines(received).stream().filter(l -> !l.equals("WATCHDOG=1")).toList();
    }

    @Test
    void portInUseIsAOneLineUsageError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String spec = "127.0.0.1:" + taken.getLocalPort();
            try (Dewy dewy = Dewy.start(Mode.SUBREAPER, tmp, "--port", spec, "--", "true")) {
                assertEquals(2, dewy.awaitExit(Duration.ofSeconds(20)));
                assertEquals("dewy: --port " + spec + ": address already in use\n", Dewy.read(dewy.stderr));
            }
        }
        try (Dewy dewy = Dewy.start(Mode.SUBREAPER, tmp, "--port", "http", "--", "true")) {
            assertEquals(2, dewy.awaitExit(Duration.ofSeconds(20)));
            assertTrue(Dewy.read(dewy.stderr).startsWith("dewy: --port: \"http\": not a port number"),
                    Dewy.read(dewy.stderr));
        }
        try (Dewy dewy = Dewy.start(Mode.SUBREAPER, tmp, "--restart-signal", "HUP", "--", "true")) {
            assertEquals(2, dewy.awaitExit(Duration.ofSeconds(20)));
        }
    }
}
