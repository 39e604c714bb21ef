package dev.dewy.example.jetty;

import dev.dewy.app.Dewy;
import dev.dewy.app.InheritedChannels;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * dewy's plain Jetty 12 example, on JDK 17, with dev.dewy:dewy-app: it serves on the socket dewy holds
 * ({@code --port SPEC=0}), says READY=1 once Jetty has started, and on TERM drains without failing a request:
 * STOPPING=1; stop accepting and close the inherited channel (dewy-app keeps stdout and stderr, which the JDK would
 * point at /dev/null); turn off persistent connections, so every response from then on says
 * {@code Connection: close}; wait until each connection has ended or idled for a second; then stop Jetty, which waits
 * for the requests still running.
 * <p>
 * Without dewy ({@code --port 8080}, or no socket on fd 0) it binds the port itself.
 * {@code --app.startup-delay-ms=N} (the Spring example's property) waits N ms before Jetty starts, as slow start-up
 * work would. Routes as the other examples:
 * {@code GET /} answers {@code pid=<pid> gen=<gen>}; {@code GET /sleep?ms=N} waits N ms first.
 */
public final class HelloJetty {
    static final long PID = ProcessHandle.current().pid();
    static final String GEN = System.getenv().getOrDefault("SERVER_STARTER_GENERATION", "0");
    static final Duration IDLE = Duration.ofSeconds(1);
    static final Duration DRAIN = Duration.ofSeconds(20);

    private HelloJetty() {
    }

    public static void main(String[] args) throws Exception {
        int port = 8080;
        long startupDelayMs = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port") && i + 1 < args.length) {
                port = Integer.parseInt(args[++i]);
            } else if (args[i].startsWith("--app.startup-delay-ms=")) { // the Spring example's property, for tests
                startupDelayMs = Long.parseLong(args[i].substring(args[i].indexOf('=') + 1));
            }
        }
        if (startupDelayMs > 0) { // start-up work before Jetty starts: dewy's old generation serves meanwhile
            Thread.sleep(startupDelayMs);
        }
        Server server = new Server();
        // Accepting from the selector (no acceptor thread blocked in accept): stopping it needs no wake-up.
        ServerConnector connector = new ServerConnector(server, 0, 1);
        ServerSocketChannel inherited = Dewy.inheritedChannel().orElse(null);
        if (inherited != null) {
            connector.open(inherited);
        } else {
            connector.setPort(port);
        }
        server.addConnector(connector);
        GracefulHandler graceful = new GracefulHandler(new Hello());
        server.setHandler(graceful);
        server.setStopTimeout(DRAIN.toMillis());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> drain(server, connector, inherited), "drain"));
        server.start();
        Dewy.ready();
        Dewy.status("serving");
        System.err.println("hello-jetty: generation " + GEN + " serving on " + (inherited != null
                ? "fd 0 (" + inherited.getLocalAddress() + ")" : "port " + port) + ", " + Dewy.notifier());
        server.join();
    }

    static void drain(Server server, ServerConnector connector, ServerSocketChannel inherited) {
        try {
            Dewy.stopping();
            connector.setAccepting(false);
            if (inherited != null) {
                InheritedChannels.close(inherited);
            }
            // Connection: close on every response to a request that starts from now on
            for (HttpConnectionFactory f : connector.getConnectionFactories().stream()
                    .filter(HttpConnectionFactory.class::isInstance).map(HttpConnectionFactory.class::cast).toList()) {
                f.getHttpConfiguration().setPersistentConnectionsEnabled(false);
            }
            long end = System.nanoTime() + DRAIN.toNanos();
            while (System.nanoTime() < end && busy(connector)) {
                LockSupport.parkNanos(5_000_000);
            }
            // Only now: a response that was already under way when Jetty shuts down keeps its keep-alive header
            // but has its connection closed after it, so a client's next request on it would meet a closed socket.
            server.stop();
            System.err.println("hello-jetty: generation " + GEN + " drained");
        } catch (Exception e) {
            System.err.println("hello-jetty: drain failed: " + e);
        }
    }

    static boolean busy(ServerConnector connector) {
        for (EndPoint ep : connector.getConnectedEndPoints()) {
            if (ep.isOpen() && (!(ep instanceof IdleTimeout t) || t.getIdleFor() < IDLE.toMillis())) {
                return true;
            }
        }
        return false;
    }

    static final class Hello extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = Request.getPathInContext(request);
            String body;
            int status = 200;
            if (path.equals("/")) {
                body = "pid=" + PID + " gen=" + GEN + "\n";
            } else if (path.equals("/sleep")) {
                Fields query = Request.extractQueryParameters(request);
                long ms = Math.max(0, Math.min(600_000, Long.parseLong(query.getValue("ms") == null ? "0"
                        : query.getValue("ms"))));
                Thread.sleep(ms);
                body = "pid=" + PID + " gen=" + GEN + " slept=" + ms + "\n";
            } else {
                status = 404;
                body = "not found\n";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            response.write(true, ByteBuffer.wrap(bytes), callback);
            return true;
        }
    }
}
