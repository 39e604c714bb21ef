package dewy.notify;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code slack://CHANNEL?title=TITLE&thread=true&quiet=true}: one chat.postMessage per event, with a plain text
 * fallback and one coloured attachment. The channel goes to Slack exactly as written (a name like {@code deploys} or
 * an ID like {@code C0123}); Slack accepts both with or without the {@code #}.
 * <p>
 * {@code thread=true} (Go dewy's): the first message of a deploy goes to the channel, and the deploy's later ones
 * into its thread ({@code thread_ts}, the first one's {@code ts}); an error also reaches the channel
 * ({@code reply_broadcast}). {@code quiet=true} (Go dewy's) drops the start, download, stop and successful-hook
 * messages. Both run on this notifier's own thread, so the thread table needs no lock.
 */
final class SlackNotifier implements Notifier {
    static final String DEFAULT_API = "https://slack.com/api";
    /** Deploys whose thread is remembered: the newest ones, a deploy being over long before this many follow. */
    static final int THREADS = 32;

    private final Http http;
    private final URI endpoint;
    private final String token;
    private final String channel;
    private final String title;
    private final String titleLink; // null: none
    private final boolean thread;
    private final boolean quiet;
    /** Deploy tag to the ts of its first message, oldest first. */
    private final Map<String, String> threads = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > THREADS;
        }
    };

    SlackNotifier(Http http, String apiBase, String token, String channel, String title, String titleLink,
            boolean thread, boolean quiet) {
        this.http = http;
        this.endpoint = URI.create(apiBase + "/chat.postMessage");
        this.token = token;
        this.channel = channel;
        this.title = title;
        this.titleLink = titleLink;
        this.thread = thread;
        this.quiet = quiet;
    }

    /** What {@code quiet=true} drops: the start, download, stop and successful-hook messages. */
    static boolean quietDrops(Event e) {
        return switch (e.kind()) {
            case Event.STARTED, Event.DOWNLOADED, Event.STOPPING -> true;
            case Event.HOOK -> !e.error();
            default -> false;
        };
    }

    @Override
    public void send(Event e, String host, Instant time) throws IOException, InterruptedException {
        if (quiet && quietDrops(e)) {
            return;
        }
        String threadTs = thread && e.deploy() != null ? threads.get(e.deploy()) : null;
        JsonObject answer = post(body(e, host, time, threadTs));
        if (thread && e.deploy() != null && threadTs == null) {
            JsonElement ts = answer.get("ts");
            if (ts != null && ts.isJsonPrimitive() && ts.getAsString().matches("[0-9]{1,20}\\.[0-9]{1,12}")) {
                threads.put(e.deploy(), ts.getAsString()); // this deploy's later messages go under this one
            }
        }
    }

    private JsonObject post(String body) throws IOException, InterruptedException {
        HttpResponse<String> r = http.post(endpoint, "application/json; charset=utf-8", body,
                "Bearer " + token, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("HTTP " + r.statusCode());
        }
        // Slack answers 200 with {"ok":false,"error":"channel_not_found"} for almost every failure.
        JsonObject answer;
        try {
            JsonElement el = JsonParser.parseString(r.body());
            answer = el.isJsonObject() ? el.getAsJsonObject() : null;
        } catch (RuntimeException ex) {
            answer = null;
        }
        if (answer == null) {
            throw new IOException("slack: response is not JSON");
        }
        JsonElement ok = answer.get("ok");
        if (ok == null || !ok.isJsonPrimitive() || !ok.getAsJsonPrimitive().isBoolean() || !ok.getAsBoolean()) {
            JsonElement err = answer.get("error");
            String code = err != null && err.isJsonPrimitive() ? errorCode(err.getAsString()) : "unknown error";
            throw new IOException("slack: " + code);
        }
        return answer;
    }

    String body(Event e, String host, Instant time) {
        return body(e, host, time, null);
    }

    /** The message; in the thread of {@code threadTs} when not null, and then an error is also broadcast. */
    String body(Event e, String host, Instant time, String threadTs) {
        JsonObject a = new JsonObject();
        a.addProperty("color", e.error() ? "danger" : "good");
        a.addProperty("title", title);
        if (titleLink != null) {
            a.addProperty("title_link", titleLink);
        }
        a.addProperty("text", e.message());
        JsonArray fields = new JsonArray();
        if (e.version() != null) {
            fields.add(field("version", e.version()));
        }
        fields.add(field("host", host));
        a.add("fields", fields);
        a.addProperty("footer", "dewy");
        a.addProperty("ts", time.getEpochSecond());
        JsonArray attachments = new JsonArray();
        attachments.add(a);

        JsonObject o = new JsonObject();
        o.addProperty("channel", channel);
        o.addProperty("text", "[" + title + "] " + e.message());
        o.add("attachments", attachments);
        if (threadTs != null) {
            o.addProperty("thread_ts", threadTs);
            if (e.error()) {
                o.addProperty("reply_broadcast", true); // errors are seen in the channel too
            }
        }
        return new GsonBuilder().disableHtmlEscaping().create().toJson(o);
    }

    private static JsonObject field(String name, String value) {
        JsonObject f = new JsonObject();
        f.addProperty("title", name);
        f.addProperty("value", value);
        f.addProperty("short", true);
        return f;
    }

    /** Slack's error codes are snake_case words; anything else is not echoed into dewy's log. */
    private static String errorCode(String s) {
        return s.matches("[A-Za-z0-9_.]{1,64}") ? s : "unknown error";
    }

    /** What Notifications must never let into a log line. */
    List<String> secrets() {
        return List.of(token);
    }

    @Override
    public String describe() {
        return "slack://" + channel;
    }

    @Override
    public String toString() {
        return describe();
    }
}
