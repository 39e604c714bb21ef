package dewy.net;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A plain-http forward proxy on 127.0.0.1 for tests: it takes absolute-form requests ({@code GET http://HOST/...}),
 * records them, and forwards them to 127.0.0.1 on the same port whatever HOST says, so a test can use a name that
 * does not resolve ({@code api.invalid}) and still prove its requests went through the proxy.
 */
public final class RecordingProxy implements AutoCloseable {
    private final HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();

    public RecordingProxy() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", exchange -> {
            URI target = exchange.getRequestURI();
            seen.add(exchange.getRequestMethod() + " " + target);
            try {
                URI local = new URI("http", null, "127.0.0.1", target.getPort(), target.getPath(), target.getQuery(),
                        null);
                HttpURLConnection c = (HttpURLConnection) local.toURL().openConnection(java.net.Proxy.NO_PROXY);
                c.setInstanceFollowRedirects(false);
                c.setRequestMethod(exchange.getRequestMethod());
                for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
                    if (!h.getKey().equalsIgnoreCase("Host") && !h.getKey().equalsIgnoreCase("Content-length")) {
                        c.setRequestProperty(h.getKey(), String.join(",", h.getValue()));
                    }
                }
                byte[] body = exchange.getRequestBody().readAllBytes();
                if (body.length > 0) {
                    c.setDoOutput(true);
                    try (OutputStream out = c.getOutputStream()) {
                        out.write(body);
                    }
                }
                int code = c.getResponseCode();
                for (Map.Entry<String, List<String>> h : c.getHeaderFields().entrySet()) {
                    if (h.getKey() != null && !h.getKey().equalsIgnoreCase("Transfer-Encoding")
                            && !h.getKey().equalsIgnoreCase("Content-Length")) {
                        exchange.getResponseHeaders().put(h.getKey(), h.getValue());
                    }
                }
                InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream();
                byte[] answer = in == null ? new byte[0] : in.readAllBytes();
                exchange.sendResponseHeaders(code, answer.length == 0 ? -1 : answer.length);
                exchange.getResponseBody().write(answer);
            } catch (Exception e) {
                exchange.sendResponseHeaders(502, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** For HTTP_PROXY. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** "METHOD absolute-URI" of every request, in order. */
    public List<String> seen() {
        return seen;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
