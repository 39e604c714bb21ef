package dewy.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * dewy's TCP proxy: a public listener, round-robin over the backends last {@link #publish published}, on one thread
 * of non-blocking I/O ({@code dewy-proxy}), never the event loop's.
 *
 * <p>What a switch must never do, and how it is avoided:
 * <ul>
 *   <li>refuse a connection: the listener stays open throughout; a client that arrives while no backend is published
 *       waits (up to {@link Options#waitForBackend}) instead of being closed;</li>
 *   <li>reset one: a connection stays on the backend it started on after that backend leaves the list; only the
 *       owner ends it ({@link #closeConnectionsTo}, at the end of its drain time), or it ends by itself;</li>
 *   <li>fail one on a backend that refuses the connect (a generation going away): the next backend is tried.</li>
 * </ul>
 * Half-closes are forwarded (EOF on one side shuts the other side's output once its bytes are written); a reset from
 * one side is passed on as a reset. Idle connections close after {@link Options#idleTimeout}.
 *
 * <p>The owner (dewy's event loop) only publishes snapshots and reads counts; every connection's state belongs to
 * the proxy's thread. Memory: one shared 64 KiB transfer buffer; a connection holds bytes of its own only while its
 * peer cannot take them (so 1,000 idle connections cost sockets, not buffers).
 */
public final class TcpProxy implements AutoCloseable {
    /**
     * How long connections may idle, how long a backend connect may take, how long a client waits for a backend; and
     * {@code handover}, for HTTP/1.x backends only (zero: off): what happens to a connection whose backend has been
     * retired (is no longer published) when that backend closes it.
     * <ul>
     *   <li>A request the retired backend closed without answering (not a byte came back since the client's last
     *       bytes) is sent again, byte for byte, to a published backend, and its answer goes back on the same client
     *       connection. A server in its graceful stop closes what it will not serve (Tomcat paused, a keep-alive
     *       request that came as it stopped); it did not act on it.</li>
     *   <li>A close of an idle connection is held for {@code handover}: a request the client sends meanwhile (it
     *       could not know of the close) goes to a published backend; otherwise the close is passed on.</li>
     * </ul>
     * A backend that is still published (one that crashed) is never sent a request again: it may have acted on it.
     */
    public record Options(Duration idleTimeout, Duration connectTimeout, Duration waitForBackend, Duration handover) {
        public static Options defaults() {
            return new Options(Duration.ofSeconds(300), Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ZERO);
        }

        /** The defaults, with a retired backend's connections handed over as HTTP/1.x allows ({@code --proxy}). */
        public static Options http() {
            return new Options(Duration.ofSeconds(300), Duration.ofSeconds(5), Duration.ofSeconds(30),
                    Duration.ofMillis(100));
        }
    }

    /** Totals since the start, for logs, metrics and tests. */
    public record Stats(long accepted, long closed, long connectFailures, long idleClosed, long waitedTooLong,
                        long handedOver) {
    }

    private static final int BUFFER = 64 * 1024;
    private static final long SWEEP_NANOS = 200_000_000L;

    private final Options options;
    private final ServerSocketChannel listener;
    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> requests = new ConcurrentLinkedQueue<>();
    private final ByteBuffer transfer = ByteBuffer.allocateDirect(BUFFER);
    private final Map<InetSocketAddress, AtomicInteger> active = new ConcurrentHashMap<>();
    private final Set<Pipe> pipes = new HashSet<>();
    private final List<Pipe> waiting = new ArrayList<>();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong closed = new AtomicLong();
    private final AtomicLong connectFailures = new AtomicLong();
    private final AtomicLong idleClosed = new AtomicLong();
    private final AtomicLong waitedTooLong = new AtomicLong();
    private final AtomicLong handedOver = new AtomicLong();
    private volatile List<InetSocketAddress> backends = List.of();
    private volatile boolean stopping;
    private int next; // round-robin position, the proxy thread's

    private TcpProxy(ServerSocketChannel listener, Options options) throws IOException {
        this.options = options;
        this.listener = listener;
        this.selector = Selector.open();
        listener.configureBlocking(false);
        listener.register(selector, SelectionKey.OP_ACCEPT);
        this.thread = new Thread(this::run, "dewy-proxy");
        thread.setDaemon(true);
    }

    /** Listens on {@code address} (port 0: any free port) and starts the proxy's thread. */
    public static TcpProxy start(InetSocketAddress address, Options options) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        try {
            listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            listener.bind(address, 1024);
            return start(listener, options);
        } catch (IOException | RuntimeException e) {
            listener.close();
            throw e;
        }
    }

    /** Proxies a listener that is already bound (a socket dewy holds across restarts). */
    public static TcpProxy start(ServerSocketChannel listener, Options options) throws IOException {
        TcpProxy proxy = new TcpProxy(listener, options);
        proxy.thread.start();
        return proxy;
    }

    /** The address the proxy listens on. */
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) listener.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("the proxy's listener is closed", e);
        }
    }

    /**
     * The backends new connections go to, in round-robin order; connections already made stay where they are. An
     * empty list makes new clients wait for the next publish.
     */
    public void publish(List<InetSocketAddress> snapshot) {
        backends = List.copyOf(snapshot);
        post(this::retryWaiting);
    }

    /** The backends new connections go to now. */
    public List<InetSocketAddress> published() {
        return backends;
    }

    /** Open connections to {@code backend} (0 once drained). */
    public int connectionsTo(InetSocketAddress backend) {
        AtomicInteger n = active.get(backend);
        return n == null ? 0 : n.get();
    }

    /** Ends every connection to {@code backend}: the end of its drain time. */
    public void closeConnectionsTo(InetSocketAddress backend) {
        post(() -> {
            for (Pipe p : List.copyOf(pipes)) {
                if (backend.equals(p.target)) {
                    p.close(false);
                }
            }
        });
    }

    public Stats stats() {
        return new Stats(accepted.get(), closed.get(), connectFailures.get(), idleClosed.get(), waitedTooLong.get(),
                handedOver.get());
    }

    /** Stops listening and closes every connection. */
    @Override
    public void close() {
        stopping = true;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void post(Runnable r) {
        requests.add(r);
        selector.wakeup();
    }

    // ---- the proxy's thread ----------------------------------------------------------------------------------

    private void run() {
        long nextSweep = System.nanoTime() + SWEEP_NANOS;
        try {
            while (!stopping) {
                selector.select(Math.max(1, (nextSweep - System.nanoTime()) / 1_000_000));
                for (Runnable r; (r = requests.poll()) != null; ) {
                    r.run();
                }
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    dispatch(key);
                }
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    sweep(now);
                    nextSweep = now + SWEEP_NANOS;
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            // the selector failed: nothing can be served; close below
        } finally {
            for (Pipe p : List.copyOf(pipes)) {
                p.close(false);
            }
            closeQuietly(listener);
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void dispatch(SelectionKey key) {
        try {
            if (!key.isValid()) {
                return;
            }
            if (key.channel() == listener) {
                acceptAll();
                return;
            }
            Pipe p = (Pipe) key.attachment();
            boolean client = key.channel() == p.client;
            if (!client && key.isConnectable()) {
                p.connected();
                return;
            }
            if (key.isWritable()) {
                p.flush(client);
            }
            if (key.isValid() && key.isReadable()) {
                p.pump(client);
            }
        } catch (CancelledKeyException e) {
            // closed meanwhile
        }
    }

    private void acceptAll() {
        for (int i = 0; i < 64; i++) { // a burst, but never starve the open connections
            SocketChannel c;
            try {
                c = listener.accept();
            } catch (IOException e) {
                return; // EMFILE and the like: the kernel keeps the connection queued; try on the next round
            }
            if (c == null) {
                return;
            }
            accepted.incrementAndGet();
            try {
                c.configureBlocking(false);
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Pipe p = new Pipe(c);
                pipes.add(p);
                p.connect(new HashSet<>());
            } catch (IOException e) {
                closeQuietly(c);
            }
        }
    }

    private InetSocketAddress choose(Set<InetSocketAddress> tried) {
        List<InetSocketAddress> list = backends;
        for (int i = 0; i < list.size(); i++) {
            InetSocketAddress b = list.get(Math.floorMod(next++, list.size()));
            if (!tried.contains(b)) {
                return b;
            }
        }
        return null;
    }

    private void retryWaiting() {
        if (backends.isEmpty() || waiting.isEmpty()) {
            return;
        }
        List<Pipe> again = new ArrayList<>(waiting);
        waiting.clear();
        for (Pipe p : again) {
            if (p.open) {
                p.connect(new HashSet<>());
            }
        }
    }

    private void sweep(long now) {
        long idle = options.idleTimeout().toNanos();
        long connect = options.connectTimeout().toNanos();
        for (Pipe p : List.copyOf(pipes)) {
            if (p.backend == null && p.waitingSince != 0 && now - p.waitingSince > options.waitForBackend().toNanos()) {
                waitedTooLong.incrementAndGet();
                p.close(false);
            } else if (p.backend != null && !p.backendConnected && now - p.connectStarted > connect) {
                connectFailures.incrementAndGet();
                p.retry();
            } else if (p.closeHeldSince != 0 && now - p.closeHeldSince > options.handover().toNanos()) {
                p.closeHeldSince = 0; // the client sent nothing: pass the retired backend's close on
                p.shutOutputIfDone(false);
            } else if (p.backendConnected && now - p.lastActivity > idle) {
                idleClosed.incrementAndGet();
                p.close(false);
            }
        }
        retryWaiting(); // clients whose every backend refused: the backends may be back (a generation starting)
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException ignored) {
            // nothing to tell anyone
        }
    }

    /** One client connection and its backend connection. */
    private final class Pipe {
        final SocketChannel client;
        SocketChannel backend;
        InetSocketAddress target;
        Set<InetSocketAddress> tried;
        boolean open = true;
        boolean backendConnected;
        long connectStarted;
        long waitingSince;
        long lastActivity = System.nanoTime();
        SelectionKey clientKey;
        SelectionKey backendKey;
        // bytes read from one side that the other has not taken yet (null while there are none)
        ByteBuffer toBackend;
        ByteBuffer toClient;
        boolean clientEof;
        boolean backendEof;
        boolean backendOutShut;
        boolean clientOutShut;
        /** With a handover: the client's bytes sent to the backend since its last byte back (an unanswered request). */
        byte[] unanswered;
        int unansweredLength;
        /** More than the buffer holds was unanswered: that request cannot be sent again. */
        boolean unansweredOverflow;
        /** A retired backend closed this idle connection; its close is held until then (nanos), or 0. */
        long closeHeldSince;

        Pipe(SocketChannel client) throws IOException {
            this.client = client;
            this.clientKey = client.register(selector, 0, this);
        }

        /** Connects to a backend not yet tried, or waits for the next publish. */
        void connect(Set<InetSocketAddress> triedSoFar) {
            tried = triedSoFar;
            InetSocketAddress b = choose(tried);
            if (b == null) {
                if (waitingSince == 0) {
                    waitingSince = System.nanoTime();
                }
                waiting.add(this);
                return;
            }
            tried.add(b);
            try {
                backend = SocketChannel.open();
                backend.configureBlocking(false);
                backend.setOption(StandardSocketOptions.TCP_NODELAY, true);
                target = b;
                active.computeIfAbsent(b, k -> new AtomicInteger()).incrementAndGet();
                connectStarted = System.nanoTime();
                backendKey = backend.register(selector, SelectionKey.OP_CONNECT, this);
                if (backend.connect(b)) {
                    connected();
                }
            } catch (IOException e) {
                connectFailures.incrementAndGet();
                retry();
            }
        }

        /** The backend refused or timed out before a byte was exchanged: another one, the client never knows. */
        void retry() {
            dropBackend();
            connect(tried);
        }

        void connected() {
            try {
                backend.finishConnect();
            } catch (IOException e) {
                connectFailures.incrementAndGet();
                retry();
                return;
            }
            backendConnected = true;
            waitingSince = 0;
            lastActivity = System.nanoTime();
            if (toBackend != null) { // a handed-over request: send it first, read the client again once it is out
                backendKey.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                clientKey.interestOps(0);
            } else {
                backendKey.interestOps(SelectionKey.OP_READ);
                clientKey.interestOps(clientEof ? 0 : SelectionKey.OP_READ);
            }
        }

        /** Whether this connection's backend was retired: no longer among those published. */
        private boolean retired() {
            return target != null && !backends.contains(target);
        }

        private boolean handsOver() {
            return !options.handover().isZero();
        }

        /**
         * A retired backend closed or reset a connection with nothing unanswered: hold that close, since the client's
         * next request may already be on its way (it goes to a published backend). True if held.
         */
        private boolean holdIdleClose() {
            if (!handsOver() || !retired() || unansweredLength != 0 || toClient != null || clientEof) {
                return false;
            }
            closeHeldSince = System.nanoTime();
            interest(backend, SelectionKey.OP_READ, false);
            return true;
        }

        /**
         * The retired backend closed or reset the connection, or refused the client's bytes: if the client's last
         * request got no byte back, send it again to a published backend. True if it was handed over.
         */
        private boolean handOverUnanswered() {
            if (!handsOver() || !retired() || unansweredLength == 0 || unansweredOverflow || toClient != null) {
                return false;
            }
            ByteBuffer again = ByteBuffer.allocate(unansweredLength);
            again.put(unanswered, 0, unansweredLength).flip();
            reconnectWith(again);
            return true;
        }

        /** Moves the client to a published backend; {@code first}: what to send it before anything else, or null. */
        private void reconnectWith(ByteBuffer first) {
            handedOver.incrementAndGet();
            dropBackend();
            backendEof = false;
            backendOutShut = false;
            closeHeldSince = 0;
            toBackend = first;
            interest(client, SelectionKey.OP_READ, false);
            connect(new HashSet<>());
        }

        /** Keeps what is read from the client until the backend answers, so that it can be sent again. */
        private void rememberUnanswered(ByteBuffer read) {
            if (!handsOver() || unansweredOverflow) {
                return;
            }
            int n = read.remaining();
            if (unansweredLength + n > BUFFER) {
                unansweredOverflow = true;
                unanswered = null;
                unansweredLength = 0;
                return;
            }
            if (unanswered == null || unanswered.length < unansweredLength + n) {
                unanswered = java.util.Arrays.copyOf(unanswered == null ? new byte[0] : unanswered,
                        Math.min(BUFFER, Math.max(512, 2 * (unansweredLength + n))));
            }
            read.duplicate().get(unanswered, unansweredLength, n);
            unansweredLength += n;
        }

        private void answered() {
            unansweredLength = 0;
            unansweredOverflow = false;
        }

        private void dropBackend() {
            if (backend != null) {
                AtomicInteger n = active.get(target);
                if (n != null) {
                    n.decrementAndGet();
                }
                closeQuietly(backend);
            }
            backend = null;
            target = null;
            backendKey = null;
            backendConnected = false;
        }

        /** Reads what {@code fromClient}'s side has and passes it on. */
        void pump(boolean fromClient) {
            SocketChannel in = fromClient ? client : backend;
            SocketChannel out = fromClient ? backend : client;
            if ((fromClient ? toBackend : toClient) != null) {
                interest(in, SelectionKey.OP_READ, false); // the other side is full: read no more until it drains
                return;
            }
            transfer.clear();
            int n;
            try {
                n = in.read(transfer);
            } catch (IOException e) {
                if (!fromClient && handOverUnanswered()) {
                    return;
                }
                if (!fromClient && holdIdleClose()) { // a stopped replica's reset of an idle connection
                    backendEof = true;
                    return;
                }
                close(true); // a reset: pass it on
                return;
            }
            if (n < 0) {
                if (fromClient) {
                    clientEof = true;
                } else {
                    backendEof = true;
                    if (handOverUnanswered()) {
                        return;
                    }
                    if (holdIdleClose()) {
                        return;
                    }
                }
                interest(in, SelectionKey.OP_READ, false);
                shutOutputIfDone(fromClient);
                return;
            }
            lastActivity = System.nanoTime();
            transfer.flip();
            if (fromClient && closeHeldSince != 0) { // the retired backend closed first: a published one answers
                ByteBuffer first = ByteBuffer.allocate(transfer.remaining());
                first.put(transfer.duplicate()).flip();
                answered();
                rememberUnanswered(transfer);
                reconnectWith(first);
                return;
            }
            if (fromClient) {
                rememberUnanswered(transfer);
            } else {
                answered();
            }
            try {
                out.write(transfer);
            } catch (IOException e) {
                if (fromClient && handOverUnanswered()) {
                    return;
                }
                close(true);
                return;
            }
            if (transfer.hasRemaining()) { // keep the rest; stop reading this side until the other takes it
                ByteBuffer rest = ByteBuffer.allocate(transfer.remaining());
                rest.put(transfer).flip();
                if (fromClient) {
                    toBackend = rest;
                } else {
                    toClient = rest;
                }
                interest(in, SelectionKey.OP_READ, false);
                interest(out, SelectionKey.OP_WRITE, true);
            }
        }

        /** {@code toClientSide}: the client's channel became writable. */
        void flush(boolean toClientSide) {
            ByteBuffer pending = toClientSide ? toClient : toBackend;
            SocketChannel out = toClientSide ? client : backend;
            SocketChannel in = toClientSide ? backend : client;
            if (pending != null) {
                try {
                    out.write(pending);
                } catch (IOException e) {
                    if (!toClientSide && handOverUnanswered()) {
                        return;
                    }
                    close(true);
                    return;
                }
                lastActivity = System.nanoTime();
                if (pending.hasRemaining()) {
                    return;
                }
                if (toClientSide) {
                    toClient = null;
                } else {
                    toBackend = null;
                }
            }
            interest(out, SelectionKey.OP_WRITE, false);
            boolean inEof = toClientSide ? backendEof : clientEof;
            if (inEof) {
                shutOutputIfDone(!toClientSide);
            } else {
                interest(in, SelectionKey.OP_READ, true);
            }
        }

        /** {@code fromClient}'s side ended: once its bytes are out, shut the other side's output (a half-close). */
        void shutOutputIfDone(boolean fromClient) {
            if ((fromClient ? toBackend : toClient) != null) {
                return;
            }
            try {
                if (fromClient && !backendOutShut) {
                    backendOutShut = true;
                    backend.shutdownOutput();
                } else if (!fromClient && !clientOutShut) {
                    clientOutShut = true;
                    client.shutdownOutput();
                }
            } catch (IOException e) {
                close(true);
                return;
            }
            if (clientEof && backendEof && toBackend == null && toClient == null) {
                close(false);
            }
        }

        private void interest(SocketChannel ch, int op, boolean on) {
            SelectionKey key = ch == client ? clientKey : backendKey;
            if (key == null || !key.isValid()) {
                return;
            }
            int ops = key.interestOps();
            key.interestOps(on ? ops | op : ops & ~op);
        }

        /** Closes both sides; {@code reset}: with a RST, as the other side did. */
        void close(boolean reset) {
            if (!open) {
                return;
            }
            open = false;
            pipes.remove(this);
            waiting.remove(this);
            closed.incrementAndGet();
            if (reset) {
                try {
                    client.setOption(StandardSocketOptions.SO_LINGER, 0);
                    if (backend != null) {
                        backend.setOption(StandardSocketOptions.SO_LINGER, 0);
                    }
                } catch (IOException ignored) {
                    // closed already
                }
            }
            closeQuietly(client);
            dropBackend();
        }
    }
}
