package dewy.pid1;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A webhook receiver and a Slack Web API stand-in on 127.0.0.1: records every JSON body dewy's notifiers post,
 * answering before it returns, so a body recorded here was delivered.
 */
final class NotifyReceiver implements AutoCloseable {
    /** One POST: its path, Authorization header and JSON body; for Slack, the ts this stand-in answered. */
    record Post(String path, String authorization, JsonObject body, String ts) {
        String channel() {
            return body.get("channel").getAsString();
        }

        /** Slack's thread_ts, or null for a message to the channel. */
        String threadTs() {
            return body.has("thread_ts") ? body.get("thread_ts").getAsString() : null;
        }

        String event() {
            return body.has("event") ? body.get("event").getAsString() : null;
        }

        String message() {
            if (body.has("message")) {
                return body.get("message").getAsString();
            }
            return body.get("attachments").getAsJsonArray().get(0).getAsJsonObject().get("text").getAsString();
        }
    }

    private final HttpServer server;
    private final List<Post> posts = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger stamps = new java.util.concurrent.atomic.AtomicInteger();

    NotifyReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            boolean slack = exchange.getRequestURI().getPath().endsWith("chat.postMessage");
            String ts = slack ? String.format("1700000000.%06d", stamps.incrementAndGet()) : null; // Slack's form
            posts.add(new Post(exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject(), ts));
            byte[] answer = slack ? ("{\"ok\":true,\"channel\":\"C1\",\"ts\":\"" + ts + "\"}")
                    .getBytes(StandardCharsets.UTF_8) : new byte[0];
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    /** {@code webhook+http://127.0.0.1:PORT/hook} */
    String webhook() {
        return "webhook+http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** For SLACK_API_URL. */
    String slackApi() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/slack";
    }

    List<Post> webhooks() {
        return posts.stream().filter(p -> p.path().equals("/hook")).toList();
    }

    List<Post> slack() {
        return posts.stream().filter(p -> p.path().equals("/slack/chat.postMessage")).toList();
    }

    List<Post> events(String kind) {
        return webhooks().stream().filter(p -> kind.equals(p.event())).toList();
    }

    void awaitEvent(String kind, String text, Duration timeout) {
        Dewy.await("a \"" + kind + "\" notification with \"" + text + "\"; got " + webhooks(), timeout,
                () -> events(kind).stream().anyMatch(p -> p.message().contains(text)));
    }

    long count(String kind, String text) {
        return events(kind).stream().filter(p -> p.message().contains(text)).count();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
