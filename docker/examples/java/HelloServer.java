/*
 * Example application for dewy: a small HTTP/1.1 server in one source file, no dependencies, that takes its
 * listening socket from dewy, reports readiness with sd_notify and drains on SIGTERM without failing a request.
 * docker/examples/README.md has the details.
 *
 *   dewy server --port 8080=0 --ready notify -- java --enable-native-access=ALL-UNNAMED HelloServer.java
 *
 * The listener: System.inheritedChannel(), i.e. a listening socket on fd 0 (dewy --port SPEC=0), TCP or unix; or
 * --bind HOST:PORT|[::1]:PORT|/path.sock to bind it ourselves. Pure Java cannot adopt an arbitrary fd such as
 * LISTEN_FDS' fd 3 without native code, so fd 0 is the only way in.
 *
 * Readiness: with NOTIFY_SOCKET set, READY=1 once accepting and STOPPING=1 at the drain. Java has no unix datagram
 * sockets, so this calls libc's socket(2) and sendto(2) through java.lang.foreign, final in JDK 22. The calls are
 * reflective so that the file still compiles and serves on JDK 17; there, NOTIFY_SOCKET is an error at start-up,
 * and dewy should run it with --ready delay:DURATION instead.
 *
 * Routes: GET / -> "pid=<pid> gen=<SERVER_STARTER_GENERATION or 0>\n" (then " version=<APP_VERSION>" when it is
 * set, before the newline); GET /sleep?ms=N waits N ms first;
 * GET /env -> the LISTEN_*, SERVER_STARTER_* and NOTIFY_SOCKET variables, "NAME=value\n" each, sorted by name.
 */

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

public class HelloServer {
    static final long PID = ProcessHandle.current().pid();
    static final String GEN = System.getenv().getOrDefault("SERVER_STARTER_GENERATION", "0");
    // A release can say which version it is (the pull-deploy tests put it in the release's start script).
    static final String VERSION = System.getenv().getOrDefault("APP_VERSION", "").isEmpty() ? ""
            : " version=" + System.getenv("APP_VERSION");
    static final long IDLE_TIMEOUT_MS = 60_000;  // a keep-alive connection may stay idle this long while we serve...
    static final long DRAIN_IDLE_MS = 1_000;     // ...and this long once a drain has begun
    static final long DRAIN_TIMEOUT_MS = 30_000; // give up on stuck connections; dewy's grace period is the real bound
    static final int MAX_HEAD = 64 * 1024;
    static final long BUSY = Long.MIN_VALUE;

    public static void main(String[] args) throws Exception {
        String bind = null;
        long startupDelay = 0;
        boolean neverReady = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--bind" -> bind = args[++i];
                case "--startup-delay" -> startupDelay = Long.parseLong(args[++i]);
                case "--never-ready" -> neverReady = true;
                case "--crash-on-start" -> fail("crashing on start, as asked (--crash-on-start)", 3);
                default -> fail("unknown argument " + args[i] + "; takes --bind ADDR, --startup-delay MS,"
                        + " --never-ready, --crash-on-start", 2);
            }
        }
        Notify notify = Notify.fromEnv();
        ServerSocketChannel listener = bind != null ? bind(bind) : inherited();
        HelloServer server = new HelloServer(listener, bind != null, notify);
        Runtime.getRuntime().addShutdownHook(new Thread(server::drain, "drain"));  // SIGTERM, SIGINT
        // HUP would run the shutdown hooks too; here it means "reload", which for this example is a line in a file.
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> onHup());
        } catch (IllegalArgumentException e) {
            log("no reload on HUP: " + e.getMessage()); // under -Xrs the JVM refuses HUP handlers
        }
        Thread.sleep(startupDelay);  // a slow start-up: no accept and no READY=1 before it is over
        server.acceptor.start();
        log("generation " + GEN + " serving " + describe(listener.getLocalAddress()) + " from "
                + (bind != null ? "--bind " + bind : "System.inheritedChannel() (fd 0)"));
        if (!neverReady && notify != null) {
            notify.send("READY=1");
        }
        Thread.sleep(Long.MAX_VALUE);  // the drain hook ends the process
    }

    static void log(String msg) {
        System.err.println("HelloServer[" + PID + "]: " + msg);
    }

    static void fail(String msg, int code) {
        log(msg);
        System.exit(code);
    }

    static ServerSocketChannel inherited() throws IOException {
        Channel ch = System.inheritedChannel();
        if (!(ch instanceof ServerSocketChannel listener)) {
            fail("no listening socket on fd 0 (System.inheritedChannel() is " + ch + "): run under dewy --port SPEC=0,"
                    + " or use --bind", 2);
            throw new AssertionError();
        }
        return listener;
    }

    static ServerSocketChannel bind(String spec) throws IOException {
        if (spec.contains("/")) {
            Files.deleteIfExists(Path.of(spec));
            return ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(spec), 1024);
        }
        int colon = spec.lastIndexOf(':');
        String host = spec.substring(0, Math.max(colon, 0)).replace("[", "").replace("]", "");
        SocketAddress addr = new InetSocketAddress(host, Integer.parseInt(spec.substring(colon + 1)));
        ServerSocketChannel ch = ServerSocketChannel.open();
        ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        return ch.bind(addr, 1024);
    }

    static String describe(SocketAddress a) {
        return a instanceof InetSocketAddress i ? (i.getAddress() instanceof java.net.Inet6Address
                ? "[" + i.getHostString() + "]" : i.getHostString()) + ":" + i.getPort() : String.valueOf(a);
    }

    static void onHup() {
        log("SIGHUP");
        String file = System.getenv("APP_HUP_FILE");
        if (file != null) {
            try {
                Files.writeString(Path.of(file), "hup " + PID + "\n", StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            } catch (IOException e) {
                log("cannot write " + file + ": " + e);
            }
        }
    }

    // ---- the server ------------------------------------------------------------------------------------------

    private final ServerSocketChannel listener;
    private final boolean ownListener;
    private final Selector selector;
    private final Thread acceptor = new Thread(this::acceptLoop, "acceptor");
    private final Notify notify;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "connection");
        t.setDaemon(true);
        return t;
    });
    /** Open connections, each with the time it started waiting for its next request, or BUSY. */
    private final Map<SocketChannel, Long> idleSince = new ConcurrentHashMap<>();
    private volatile boolean draining;
    private volatile long drainStarted;

    HelloServer(ServerSocketChannel listener, boolean ownListener, Notify notify) throws IOException {
        this.listener = listener;
        this.ownListener = ownListener;
        this.notify = notify;
        // Non-blocking, so the drain can stop accepting with a selector wakeup: closing an inherited channel would
        // make the JDK point fds 0, 1 and 2 at /dev/null (inetd semantics), and our stderr would be gone. The flag
        // is shared with dewy and the other generations, as Go's FileListener shares it; see the README.
        listener.configureBlocking(false);
        selector = Selector.open();
        listener.register(selector, SelectionKey.OP_ACCEPT);
        Thread reaper = new Thread(this::closeIdle, "idle-reaper");
        reaper.setDaemon(true);
        reaper.start();
    }

    private void acceptLoop() {
        try {
            while (!draining) {
                selector.select();
                selector.selectedKeys().clear();
                SocketChannel c;
                // null: another generation took it. A connection accepted here is registered before the drain
                // (which waits for this thread) counts what is left.
                while (!draining && (c = listener.accept()) != null) {
                    SocketChannel conn = c;
                    idleSince.put(conn, System.nanoTime());
                    pool.execute(() -> connection(conn));
                }
            }
        } catch (IOException e) {
            log("accept: " + e);
        }
    }

    /** SIGTERM or SIGINT (a shutdown hook): stop accepting, finish what is in flight, then exit 0. */
    void drain() {
        if (notify != null) {
            notify.send("STOPPING=1");
        }
        drainStarted = System.nanoTime();
        draining = true;
        selector.wakeup();
        try {
            acceptor.join();
            // Connections still queued on the socket are for dewy's next generation. With --bind, nobody else
            // holds it: closing it is where the naive baseline starts to refuse connections.
            if (ownListener) {
                listener.close();
            }
        } catch (IOException | InterruptedException e) {
            log("stop accepting: " + e);
        }
        log("draining " + idleSince.size() + " connection(s)");
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_TIMEOUT_MS);
        while (!idleSince.isEmpty() && System.nanoTime() < end) {
            sleep(10);
        }
        log(idleSince.isEmpty() ? "drained" : "drain timed out with " + idleSince.size() + " connection(s) open");
        log("exit 0");
        Runtime.getRuntime().halt(0);  // the JVM would exit 143 after a SIGTERM; a finished drain is a clean exit
    }

    /** Closes keep-alive connections idle for too long: 60 s while serving, 1 s once draining. */
    private void closeIdle() {
        while (true) {
            sleep(100);
            long now = System.nanoTime();
            idleSince.forEach((c, since) -> {
                long from = draining ? Math.max(since, drainStarted) : since;
                long limit = TimeUnit.MILLISECONDS.toNanos(draining ? DRAIN_IDLE_MS : IDLE_TIMEOUT_MS);
                if (since != BUSY && now - from > limit) {
                    close(c);  // its reader gets AsynchronousCloseException and ends
                }
            });
        }
    }

    private void connection(SocketChannel c) {
        ByteBuffer in = ByteBuffer.allocate(MAX_HEAD);
        try {
            while (true) {
                int headEnd;
                while ((headEnd = indexOf(in, "\r\n\r\n")) < 0) {
                    if (!in.hasRemaining()) {
                        respond(c, 431, "request head too large\n", false, false);
                        return;
                    }
                    if (c.read(in) < 0) {
                        return;
                    }
                    idleSince.put(c, BUSY);  // a request has begun
                }
                String[] lines = new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1).split("\r\n");
                String[] req = lines[0].split(" ");
                Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                for (int i = 1; i < lines.length; i++) {
                    int colon = lines[i].indexOf(':');
                    if (colon < 0) {
                        req = new String[0];
                        break;
                    }
                    headers.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
                }
                if (req.length != 3 || !(req[2].equals("HTTP/1.1") || req[2].equals("HTTP/1.0"))) {
                    respond(c, 400, "bad request\n", false, false);
                    return;
                }
                if (headers.containsKey("Transfer-Encoding")) {
                    respond(c, 501, "chunked request bodies are not supported\n", false, false);
                    return;
                }
                int length = Integer.parseInt(headers.getOrDefault("Content-Length", "0"));
                int consumed = headEnd + 4 + length;
                while (in.position() < consumed) {  // a body we do not use, read so the next request lines up
                    if (consumed > in.capacity() || c.read(in) < 0) {
                        return;
                    }
                }
                in.flip().position(consumed);
                in.compact();
                String tokens = headers.getOrDefault("Connection", "").toLowerCase();
                boolean keep = req[2].equals("HTTP/1.1") ? !tokens.contains("close") : tokens.contains("keep-alive");
                Object[] answer = route(req[0], req[1]);
                // Checked after the route ran: a long request learns of a drain that began meanwhile.
                keep &= !draining;
                respond(c, (Integer) answer[0], (String) answer[1], keep, req[0].equals("HEAD"));
                if (!keep) {
                    return;
                }
                idleSince.put(c, System.nanoTime());
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, the reaper closed an idle connection, or a malformed number
        } finally {
            idleSince.remove(c);
            close(c);
        }
    }

    static Object[] route(String method, String target) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return new Object[] {405, "method not allowed\n"};
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? "" : target.substring(q + 1);
        switch (path) {
            case "/":
                return new Object[] {200, "pid=" + PID + " gen=" + GEN + VERSION + "\n"};
            case "/sleep":
                String ms = query.startsWith("ms=") ? query.substring(3) : "0";
                if (!ms.matches("\\d{1,6}") || Long.parseLong(ms) > 600_000) {
                    return new Object[] {400, "ms must be 0..600000\n"};
                }
                sleep(Long.parseLong(ms));
                return new Object[] {200, "pid=" + PID + " gen=" + GEN + " slept=" + ms + "\n"};
            case "/env":
                StringBuilder body = new StringBuilder();
                new TreeMap<>(System.getenv()).forEach((k, v) -> {
                    if (k.startsWith("LISTEN_") || k.startsWith("SERVER_STARTER_") || k.equals("NOTIFY_SOCKET")) {
                        body.append(k).append('=').append(v).append('\n');
                    }
                });
                return new Object[] {200, body.toString()};
            default:
                return new Object[] {404, "not found\n"};
        }
    }

    static void respond(SocketChannel c, int status, String body, boolean keep, boolean headOnly) throws IOException {
        String reason = switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 431 -> "Request Header Fields Too Large";
            default -> "Not Implemented";
        };
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain\r\nContent-Length: "
                + b.length + "\r\nConnection: " + (keep ? "keep-alive" : "close") + "\r\n\r\n";
        ByteBuffer out = ByteBuffer.allocate(head.length() + (headOnly ? 0 : b.length));
        out.put(head.getBytes(StandardCharsets.ISO_8859_1));
        if (!headOnly) {
            out.put(b);
        }
        out.flip();
        while (out.hasRemaining()) {
            c.write(out);
        }
    }

    static int indexOf(ByteBuffer buf, String s) {
        outer:
        for (int i = 0; i + s.length() <= buf.position(); i++) {
            for (int j = 0; j < s.length(); j++) {
                if (buf.get(i + j) != s.charAt(j)) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static void close(SocketChannel c) {
        try {
            c.shutdownOutput();
        } catch (IOException e) {
            // already gone
        }
        try {
            c.close();
        } catch (IOException e) {
            // already gone
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- sd_notify -------------------------------------------------------------------------------------------

    /**
     * One datagram to NOTIFY_SOCKET ("@name" is the abstract namespace) through libc's socket and sendto, called
     * with java.lang.foreign by reflection: the API is final in JDK 22, and this file must still compile on 17.
     */
    static final class Notify {
        private static final int AF_UNIX = 1;
        private static final int SOCK_DGRAM_CLOEXEC = 2 | 0x80000;
        private final byte[] address;  // struct sockaddr_un: sa_family_t, then the path
        private final MethodHandle socket;
        private final MethodHandle sendto;
        private final MethodHandle close;
        private final Method ofConfined;
        private final Method allocate;
        private final Method asByteBuffer;

        static Notify fromEnv() {
            String path = System.getenv("NOTIFY_SOCKET");
            if (path == null) {
                return null;
            }
            if (Runtime.version().feature() < 22) {
                fail("NOTIFY_SOCKET is set, but sending READY=1 needs java.lang.foreign (JDK 22+) and this is JDK "
                        + Runtime.version().feature() + ": run it on JDK 22+, or run dewy with --ready delay:DURATION", 2);
            }
            try {
                return new Notify(path);
            } catch (ReflectiveOperationException | RuntimeException e) {
                fail("cannot bind socket/sendto through java.lang.foreign: " + e, 2);
                throw new AssertionError(e);
            }
        }

        private Notify(String path) throws ReflectiveOperationException {
            byte[] name = (path.startsWith("@") ? "\0" + path.substring(1) : path).getBytes(StandardCharsets.UTF_8);
            ByteBuffer sa = ByteBuffer.allocate(2 + name.length + (path.startsWith("@") ? 0 : 1))
                    .order(ByteOrder.nativeOrder());
            sa.putShort((short) AF_UNIX).put(name);  // a path ends with NUL (the zeroed last byte), an abstract name not
            address = sa.array();

            Class<?> linkerC = Class.forName("java.lang.foreign.Linker");
            Class<?> layoutC = Class.forName("java.lang.foreign.MemoryLayout");
            Class<?> descC = Class.forName("java.lang.foreign.FunctionDescriptor");
            Class<?> segmentC = Class.forName("java.lang.foreign.MemorySegment");
            Class<?> optionC = Class.forName("java.lang.foreign.Linker$Option");
            Class<?> valueC = Class.forName("java.lang.foreign.ValueLayout");
            Object linker = linkerC.getMethod("nativeLinker").invoke(null);
            Object libc = linkerC.getMethod("defaultLookup").invoke(linker);
            Method find = Class.forName("java.lang.foreign.SymbolLookup").getMethod("find", String.class);
            Method descriptor = descC.getMethod("of", layoutC, layoutC.arrayType());
            Method downcall = linkerC.getMethod("downcallHandle", segmentC, descC, optionC.arrayType());
            Object i32 = valueC.getField("JAVA_INT").get(null);
            Object i64 = valueC.getField("JAVA_LONG").get(null);
            Object ptr = valueC.getField("ADDRESS").get(null);
            // int socket(int, int, int); ssize_t sendto(int, void *, size_t, int, struct sockaddr *, socklen_t);
            // int close(int)
            Object[][] signatures = {{i32, i32, i32, i32}, {i64, i32, ptr, i64, i32, ptr, i32}, {i32, i32}};
            String[] names = {"socket", "sendto", "close"};
            MethodHandle[] handles = new MethodHandle[3];
            for (int i = 0; i < 3; i++) {
                Object[] params = (Object[]) Array.newInstance(layoutC, signatures[i].length - 1);
                System.arraycopy(signatures[i], 1, params, 0, params.length);
                Object symbol = ((Optional<?>) find.invoke(libc, names[i])).orElseThrow();
                handles[i] = (MethodHandle) downcall.invoke(linker, symbol,
                        descriptor.invoke(null, signatures[i][0], params), Array.newInstance(optionC, 0));
            }
            socket = handles[0];
            sendto = handles[1];
            close = handles[2];
            ofConfined = Class.forName("java.lang.foreign.Arena").getMethod("ofConfined");
            allocate = Class.forName("java.lang.foreign.SegmentAllocator").getMethod("allocate", long.class);
            asByteBuffer = segmentC.getMethod("asByteBuffer");
        }

        void send(String state) {
            byte[] msg = state.getBytes(StandardCharsets.UTF_8);
            try (AutoCloseable arena = (AutoCloseable) ofConfined.invoke(null)) {
                Object buf = allocate.invoke(arena, (long) msg.length);
                Object sa = allocate.invoke(arena, (long) address.length);
                ((ByteBuffer) asByteBuffer.invoke(buf)).put(msg);
                ((ByteBuffer) asByteBuffer.invoke(sa)).put(address);
                int fd = (int) socket.invokeWithArguments(AF_UNIX, SOCK_DGRAM_CLOEXEC, 0);
                if (fd < 0) {
                    log("sd_notify " + state + ": socket() failed");
                    return;
                }
                long sent = (long) sendto.invokeWithArguments(fd, buf, (long) msg.length, 0, sa, address.length);
                close.invokeWithArguments(fd);
                if (sent != msg.length) {
                    log("sd_notify " + state + " to " + System.getenv("NOTIFY_SOCKET") + ": sendto() failed");
                }
            } catch (Throwable e) {
                log("sd_notify " + state + ": " + e);
            }
        }
    }
}
