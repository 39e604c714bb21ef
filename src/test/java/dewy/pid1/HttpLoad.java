package dewy.pid1;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A nonstop HTTP/1.1 client load for the zero-downtime tests. Raw sockets rather than HttpClient, so that every
 * request gets one exact outcome (HttpClient retries, pools and wraps errors). Each client thread sends one request
 * at a time, the next as soon as the last is answered:
 * <ul>
 * <li>keep-alive clients reuse their connection until the server answers {@code Connection: close};
 * <li>one-shot clients open a connection per request and send {@code Connection: close};
 * <li>long clients are keep-alive clients that ask for {@code /sleep?ms=N}, requests that outlast a restart.
 * </ul>
 * EOF before the first byte of a response counts as a failure even on a connection that was idle: a server that
 * drains correctly answers the next request with {@code Connection: close} and never drops a connection a nonstop
 * client is about to use. Every run is bounded by a deadline and a request count. Public for the container tests
 * (dewy.container), which drive dewy's proxy with it.
 */
public final class HttpLoad {
    public enum Outcome {
        OK, REFUSED, RESET, EOF, TRUNCATED, TIMEOUT, NON_2XX, MALFORMED, OTHER;

        boolean failed() {
            return this != OK;
        }
    }

    public enum Kind {
        KEEP_ALIVE, ONE_SHOT, LONG
    }

    /** Where the requests go: TCP host and port, or a unix socket path. */
    public record Target(SocketAddress address, String host) {
        public static Target tcp(String host, int port) {
            return new Target(new InetSocketAddress(host, port), host.contains(":") ? "[" + host + "]:" + port
                    : host + ":" + port);
        }

        static Target unix(Path path) {
            return new Target(UnixDomainSocketAddress.of(path), "localhost");
        }

        SocketChannel open() throws IOException {
            return address instanceof UnixDomainSocketAddress ? SocketChannel.open(StandardProtocolFamily.UNIX)
                    : SocketChannel.open();
        }

        @Override
        public String toString() {
            return address instanceof UnixDomainSocketAddress u ? u.getPath().toString() : host;
        }
    }

    /**
     * One request. {@code pid} is the {@code pid=} of the body, -1 when there was none; {@code worker} its
     * {@code worker=} (the process of a preforking server that served it), -1 when there was none.
     */
    record Request(Kind kind, int client, long startNanos, long endNanos, Outcome outcome, int status, long pid,
                   long worker, String detail) {
        Duration latency() {
            return Duration.ofNanos(endNanos - startNanos);
        }
    }

    public static Builder to(Target target) {
        return new Builder(target);
    }

    public static final class Builder {
        private final Target target;
        private int keepAlive = 1;
        private int oneShot;
        private int longClients;
        private Duration longRequest = Duration.ofSeconds(2);
        private String path = "/";
        private Duration deadline = Duration.ofSeconds(60);
        private long maxRequests = 1_000_000;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration failurePause = Duration.ofMillis(10);

        private Builder(Target target) {
            this.target = target;
        }

        /** Clients that keep their connection open across requests (default 1). */
        public Builder keepAlive(int clients) {
            this.keepAlive = clients;
            return this;
        }

        /** Clients that open a connection per request (default 0). */
        public Builder oneShot(int clients) {
            this.oneShot = clients;
            return this;
        }

        /** Keep-alive clients that ask for {@code /sleep?ms=...} of {@code each} (default none). */
        Builder longRequests(int clients, Duration each) {
            this.longClients = clients;
            this.longRequest = each;
            return this;
        }

        /** The path of the short requests (default "/"). */
        Builder path(String path) {
            this.path = path;
            return this;
        }

        /** No request starts after this much time from {@link #start()} (default 60 s). */
        public Builder deadline(Duration deadline) {
            this.deadline = deadline;
            return this;
        }

        /** No more than this many requests in all (default 1,000,000). */
        public Builder maxRequests(long max) {
            this.maxRequests = max;
            return this;
        }

        /** Connect, send and the whole response must fit in this, or the request is a TIMEOUT (default 10 s). */
        Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** A client waits this long after a failed request, so a dead port is not hammered (default 10 ms). */
        Builder failurePause(Duration pause) {
            this.failurePause = pause;
            return this;
        }

        public HttpLoad start() {
            return new HttpLoad(this);
        }

        /** Starts the load and waits until it ends by its own bounds (count or deadline). */
        Result run() {
            return start().awaitEnd();
        }
    }

    private final Builder config;
    private final long startNanos = System.nanoTime();
    private final long deadlineNanos;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicLong issued = new AtomicLong();
    private final ConcurrentLinkedQueue<Request> done = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    private HttpLoad(Builder config) {
        this.config = config;
        this.deadlineNanos = startNanos + config.deadline.toNanos();
        int id = 0;
        for (Kind kind : Kind.values()) {
            int n = kind == Kind.KEEP_ALIVE ? config.keepAlive : kind == Kind.ONE_SHOT ? config.oneShot
                    : config.longClients;
            for (int i = 0; i < n; i++) {
                int client = id++;
                Thread t = new Thread(() -> client(kind, client), "http-load-" + kind.name().toLowerCase(Locale.ROOT)
                        + "-" + client);
                t.setDaemon(true);
                threads.add(t);
            }
        }
        threads.forEach(Thread::start);
    }

    /** Everything finished so far; the load goes on. */
    public Result snapshot() {
        return new Result(new ArrayList<>(done), System.nanoTime() - startNanos);
    }

    /** Waits until {@code n} requests of {@code kind} succeeded, or fails with what happened so far. */
    void awaitOk(Kind kind, long n, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (done.stream().filter(r -> r.kind == kind && r.outcome == Outcome.OK).count() < n) {
            if (System.nanoTime() > end || !running()) {
                throw new AssertionError("expected " + n + " ok " + kind + " requests within " + timeout + ": "
                        + snapshot());
            }
            Dewy.sleep(5);
        }
    }

    /** Waits until a request was answered by {@code pid} (the body's {@code pid=}). */
    public void awaitServedBy(long pid, Duration timeout) {
        Dewy.await("a response from pid " + pid, timeout, () -> snapshot().pids().contains(pid));
    }

    boolean running() {
        return threads.stream().anyMatch(Thread::isAlive);
    }

    /** Waits until the count or the deadline ended the run. */
    Result awaitEnd() {
        joinAll(config.deadline.toMillis() + config.requestTimeout.toMillis() + 2000);
        return snapshot();
    }

    /** Starts no more requests, lets those in flight finish (each is bounded by the request timeout), and reports. */
    public Result stop() {
        stopping.set(true);
        joinAll(config.requestTimeout.toMillis() + 2000);
        return snapshot();
    }

    private void joinAll(long joinMs) {
        for (Thread t : threads) {
            try {
                t.join(joinMs);
                if (t.isAlive()) {
                    t.interrupt();  // wakes its selector; the client records the request as OTHER
                    t.join(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    // ---- one client ------------------------------------------------------------------------------------------

    private void client(Kind kind, int id) {
        String target = kind == Kind.LONG ? "/sleep?ms=" + config.longRequest.toMillis() : config.path;
        boolean keep = kind != Kind.ONE_SHOT;
        byte[] request = ("GET " + target + " HTTP/1.1\r\nHost: " + config.target.host() + "\r\n"
                + (keep ? "" : "Connection: close\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII);
        Connection conn = null;
        try {
            while (!stopping.get() && System.nanoTime() < deadlineNanos
                    && issued.getAndIncrement() < config.maxRequests) {
                long t0 = System.nanoTime();
                long deadline = t0 + config.requestTimeout.toNanos();
                Outcome outcome;
                int status = 0;
                long pid = -1;
                long worker = -1;
                String detail = "";
                boolean fresh = conn == null;
                try {
                    if (conn == null) {
                        conn = Connection.open(config.target, deadline);
                    }
                    Response r = conn.exchange(request, deadline);
                    status = r.status;
                    pid = r.pid;
                    worker = r.worker;
                    outcome = status >= 200 && status < 300 ? Outcome.OK : Outcome.NON_2XX;
                    if (outcome.failed()) {
                        detail = "status " + status;
                    }
                    if (!keep || r.close) {
                        conn.close();
                        conn = null;
                    }
                } catch (Failure f) {
                    outcome = f.outcome;
                    detail = f.getMessage() + (fresh ? " (new connection)" : " (reused connection)");
                    if (conn != null) {
                        conn.close();
                        conn = null;
                    }
                }
                done.add(new Request(kind, id, t0, System.nanoTime(), outcome, status, pid, worker, detail));
                if (outcome.failed()) {
                    Thread.sleep(config.failurePause.toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (conn != null) {
                conn.close();
            }
        }
    }

    /** A request that did not get a response, with the reason. */
    static final class Failure extends Exception {
        final Outcome outcome;

        Failure(Outcome outcome, String message) {
            super(outcome + ": " + message, null, false, false);
            this.outcome = outcome;
        }
    }

    record Response(int status, boolean close, long pid, long worker, String body) {
    }

    /** One non-blocking connection with its own selector, so every wait has the request's deadline. */
    static final class Connection implements AutoCloseable {
        private static final Pattern PID = Pattern.compile("pid=(\\d+)");
        private static final Pattern WORKER = Pattern.compile("worker=(\\d+)");
        private final SocketChannel channel;
        private final Selector selector;
        private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);

        private Connection(SocketChannel channel, Selector selector) {
            this.channel = channel;
            this.selector = selector;
        }

        static Connection open(Target target, long deadline) throws Failure {
            SocketChannel ch = null;
            Selector sel = null;
            try {
                ch = target.open();
                sel = Selector.open();
                ch.configureBlocking(false);
                Connection c = new Connection(ch, sel);
                if (!ch.connect(target.address)) {
                    c.await(SelectionKey.OP_CONNECT, deadline, "connect");
                    ch.finishConnect();
                }
                return c;
            } catch (IOException e) {
                close(ch, sel);
                throw new Failure(classify(e, true), describe(e));
            } catch (Failure f) {
                close(ch, sel);
                throw f;
            }
        }

        Response exchange(byte[] request, long deadline) throws Failure {
            int got = 0;  // response bytes so far: EOF before the first one is EOF, after it TRUNCATED
            try {
                ByteBuffer out = ByteBuffer.wrap(request);
                while (out.hasRemaining()) {
                    if (channel.write(out) == 0) {
                        await(SelectionKey.OP_WRITE, deadline, "send");
                    }
                }
                in.clear();
                int headEnd;
                while ((headEnd = indexOf(in, "\r\n\r\n")) < 0) {
                    got += fill(deadline, got);
                }
                String head = new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1);
                String[] lines = head.split("\r\n");
                String[] statusLine = lines[0].split(" ", 3);
                if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.") || !statusLine[1].matches("\\d{3}")) {
                    throw new Failure(Outcome.MALFORMED, "status line " + quote(lines[0]));
                }
                int length = -1;
                boolean close = statusLine[0].equals("HTTP/1.0");
                for (int i = 1; i < lines.length; i++) {
                    String[] kv = lines[i].split(":", 2);
                    String name = kv[0].trim().toLowerCase(Locale.ROOT);
                    String value = kv.length > 1 ? kv[1].trim().toLowerCase(Locale.ROOT) : "";
                    if (name.equals("content-length")) {
                        length = Integer.parseInt(value);
                    } else if (name.equals("connection")) {
                        close = value.contains("close") || (close && !value.contains("keep-alive"));
                    }
                }
                int bodyStart = headEnd + 4;
                if (length < 0) {  // no length: the body runs to EOF
                    close = true;
                    while (true) {
                        int n = fillOrEof(deadline);
                        if (n < 0) {
                            break;
                        }
                    }
                    length = in.position() - bodyStart;
                }
                while (in.position() < bodyStart + length) {
                    got += fill(deadline, got);
                }
                String body = new String(in.array(), bodyStart, length, StandardCharsets.UTF_8);
                return new Response(Integer.parseInt(statusLine[1]), close, number(PID, body), number(WORKER, body),
                        body);
            } catch (IOException e) {
                throw new Failure(classify(e, false), describe(e) + (got > 0 ? " after " + got + " response bytes" : ""));
            } catch (NumberFormatException e) {
                throw new Failure(Outcome.MALFORMED, "bad number: " + e.getMessage());
            }
        }

        /** Reads more response bytes; EOF is a failure: EOF with none yet, TRUNCATED after some. */
        private int fill(long deadline, int got) throws IOException, Failure {
            int n = fillOrEof(deadline);
            if (n < 0) {
                throw got == 0 ? new Failure(Outcome.EOF, "connection closed before any response byte")
                        : new Failure(Outcome.TRUNCATED, "connection closed after " + got + " response bytes");
            }
            return n;
        }

        private int fillOrEof(long deadline) throws IOException, Failure {
            if (!in.hasRemaining()) {
                throw new Failure(Outcome.MALFORMED, "response larger than " + in.capacity() + " bytes");
            }
            while (true) {
                int n = channel.read(in);
                if (n != 0) {
                    return n;
                }
                await(SelectionKey.OP_READ, deadline, "response");
            }
        }

        private void await(int op, long deadline, String what) throws IOException, Failure {
            SelectionKey key = channel.keyFor(selector);
            if (key == null) {
                key = channel.register(selector, op);
            } else {
                key.interestOps(op);
            }
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new Failure(Outcome.TIMEOUT, "no " + what + " within the request timeout");
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new Failure(Outcome.OTHER, "interrupted while waiting for " + what);
                }
                selector.selectedKeys().clear();
                if (selector.select(Math.max(1, left / 1_000_000)) > 0) {
                    return;
                }
            }
        }

        @Override
        public void close() {
            close(channel, selector);
        }

        private static void close(SocketChannel ch, Selector sel) {
            try {
                if (sel != null) {
                    sel.close();
                }
                if (ch != null) {
                    ch.close();
                }
            } catch (IOException e) {
                // nothing to do about it
            }
        }

        private static long number(Pattern p, String body) {
            Matcher m = p.matcher(body);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }

        private static int indexOf(ByteBuffer buf, String s) {
            byte[] a = buf.array();
            outer:
            for (int i = 0; i + s.length() <= buf.position(); i++) {
                for (int j = 0; j < s.length(); j++) {
                    if (a[i + j] != s.charAt(j)) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        private static String quote(String s) {
            return "\"" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "\"";
        }
    }

    /**
     * Whether {@code r} was served by generation g-1 and finished after generation g took over, when the old one had
     * its stop signal: {@code swaps.get(i)} is the time generation i+2 took over from {@code pids.get(i)}.
     */
    static boolean spansASwap(Request r, List<Long> swaps, List<Long> pids) {
        for (int i = 0; i < swaps.size(); i++) {
            if (r.pid() == pids.get(i) && r.startNanos() < swaps.get(i) && r.endNanos() > swaps.get(i)) {
                return true;
            }
        }
        return false;
    }

    /** The exact outcome of an I/O error; the JDK only tells them apart by type and message. */
    static Outcome classify(IOException e, boolean connecting) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (e instanceof ConnectException || m.contains("connection refused")
                || (connecting && m.contains("no such file"))) {  // a unix socket path with nobody behind it
            return Outcome.REFUSED;
        }
        if (m.contains("reset") || m.contains("broken pipe")) {
            return Outcome.RESET;
        }
        return Outcome.OTHER;
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    // ---- results ---------------------------------------------------------------------------------------------

    /** The requests of a run, in the order they finished. */
    public static final class Result {
        final List<Request> requests;
        final long elapsedNanos;

        Result(List<Request> requests, long elapsedNanos) {
            this.requests = new ArrayList<>(requests);
            this.requests.sort(Comparator.comparingLong(Request::endNanos));
            this.elapsedNanos = elapsedNanos;
        }

        Result only(Kind kind) {
            return filter(r -> r.kind == kind);
        }

        Result filter(Predicate<Request> which) {
            return new Result(requests.stream().filter(which).toList(), elapsedNanos);
        }

        public long total() {
            return requests.size();
        }

        long count(Outcome outcome) {
            return requests.stream().filter(r -> r.outcome == outcome).count();
        }

        long ok() {
            return count(Outcome.OK);
        }

        public long failed() {
            return total() - ok();
        }

        public Map<Outcome, Long> counts() {
            Map<Outcome, Long> out = new EnumMap<>(Outcome.class);
            requests.forEach(r -> out.merge(r.outcome, 1L, Long::sum));
            return out;
        }

        /** The distinct pids that answered successfully, in the order each first answered. */
        public List<Long> pids() {
            LinkedHashSet<Long> out = new LinkedHashSet<>();
            requests.stream().filter(r -> r.outcome == Outcome.OK && r.pid >= 0).forEach(r -> out.add(r.pid));
            return List.copyOf(out);
        }

        /** The distinct {@code worker=} values that answered successfully, in the order each first answered. */
        List<Long> workers() {
            LinkedHashSet<Long> out = new LinkedHashSet<>();
            requests.stream().filter(r -> r.outcome == Outcome.OK && r.worker >= 0).forEach(r -> out.add(r.worker));
            return List.copyOf(out);
        }

        /** The p-th percentile (0-100, nearest rank) of the successful requests' latency; zero when there were none. */
        Duration percentile(double p) {
            long[] ns = requests.stream().filter(r -> r.outcome == Outcome.OK)
                    .mapToLong(r -> r.endNanos - r.startNanos).sorted().toArray();
            if (ns.length == 0) {
                return Duration.ZERO;
            }
            int rank = (int) Math.ceil(p / 100.0 * ns.length);
            return Duration.ofNanos(ns[Math.max(0, rank - 1)]);
        }

        Duration p99() {
            return percentile(99);
        }

        double okPerSecond() {
            return elapsedNanos == 0 ? 0 : ok() * 1e9 / elapsedNanos;
        }

        /** Up to {@code n} failed requests, spread over the run, for assertion messages. */
        List<String> failureSamples(int n) {
            List<Request> failed = requests.stream().filter(r -> r.outcome.failed()).toList();
            List<String> out = new ArrayList<>();
            long t0 = requests.stream().mapToLong(Request::startNanos).min().orElse(0);
            for (int i = 0; i < Math.min(n, failed.size()); i++) {
                Request r = failed.get(i * failed.size() / Math.min(n, failed.size()));
                out.add(String.format(Locale.ROOT, "%s client %d at +%.3fs after %.1f ms: %s", r.kind, r.client,
                        (r.startNanos - t0) / 1e9, (r.endNanos - r.startNanos) / 1e6, r.detail));
            }
            return out;
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                    "%d requests in %.1f s: %s; pids %s; p99 %.1f ms", total(), elapsedNanos / 1e9, counts(), pids(),
                    p99().toNanos() / 1e6));
            for (String f : failureSamples(5)) {
                s.append("\n  ").append(f);
            }
            return s.toString();
        }
    }
}
