package dewy.admin;

import dewy.deploy.Scheduler;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dewy.starter.Listener;
import dewy.supervisor.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code --admin}: /healthz, /readyz and /status for probes and operators. It runs on the JDK's HTTP server with
 * one thread of its own and only reads the last {@link Status} the loop published; it never touches the supervisor.
 *
 * <ul>
 *   <li>/healthz: 200 while dewy runs and a generation of the application is alive, else 503;</li>
 *   <li>/readyz: 200 while the serving generation is ready and dewy is not draining, else 503;</li>
 *   <li>/status: the JSON of {@link StatusJson};</li>
 *   <li>/metrics: dewy's series in the Prometheus text format ({@link dewy.metrics.PrometheusMetrics}).</li>
 * </ul>
 */
public final class AdminServer {
    private final HttpServer server;
    private final String version;
    private final List<Listener> listeners;
    private volatile Status status;
    private volatile Supplier<Scheduler.Snapshot> deploy;
    private volatile dewy.metrics.PrometheusMetrics metrics;

    private AdminServer(HttpServer server, String version, List<Listener> listeners) {
        this.server = server;
        this.version = version;
        this.listeners = List.copyOf(listeners);
    }

    /** Binds now (a bad address fails before the application starts); serves after {@link #start()}. */
    public static AdminServer bind(InetSocketAddress address, String version, List<Listener> listeners)
            throws IOException {
        AdminServer admin = new AdminServer(HttpServer.create(address, 16), version, listeners);
        admin.server.createContext("/", admin::serve);
        return admin;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public void start() {
        server.start();
    }

    public void stop() {
        server.stop(0);
    }

    /** With pull deploys: /status shows the scheduler's last check. */
    public void deploy(Supplier<Scheduler.Snapshot> snapshots) {
        deploy = snapshots;
    }

    /** /metrics writes these. */
    public void metrics(dewy.metrics.PrometheusMetrics m) {
        metrics = m;
    }

    /** The last status the loop published, or null before the first (the metrics' gauges read it). */
    public Status status() {
        return status;
    }

    /** Called by the loop after every change. */
    public void publish(Status s) {
        status = s;
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            Status s = status;
            String path = exchange.getRequestURI().getPath();
            dewy.metrics.PrometheusMetrics m = metrics;
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                reply(exchange, 405, "text/plain", "GET only\n");
            } else if (path.equals("/metrics") && m != null) {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                m.write(out);
                reply(exchange, 200, dewy.metrics.PrometheusMetrics.contentType(), out.toString(StandardCharsets.UTF_8));
            } else if (s == null) {
                reply(exchange, 503, "text/plain", "starting\n");
            } else {
                switch (path) {
                    case "/healthz" -> reply(exchange, s.alive() ? 200 : 503, "text/plain",
                            s.alive() ? "ok\n" : "no application running\n");
                    case "/readyz" -> reply(exchange, s.ready() ? 200 : 503, "text/plain", s.ready() ? "ready\n"
                            : s.draining() ? "draining\n" : "not ready\n");
                    case "/status" -> reply(exchange, 200, "application/json",
                            StatusJson.render(s, version, listeners, snapshot()) + "\n");
                    default -> reply(exchange, 404, "text/plain", "not found: try /healthz, /readyz, /status or /metrics\n");
                }
            }
        }
    }

    private Scheduler.Snapshot snapshot() {
        Supplier<Scheduler.Snapshot> d = deploy;
        return d == null ? null : d.get();
    }

    private static void reply(HttpExchange exchange, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
