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
import java.util.List;

/**
 * {@code slack://CHANNEL?title=TITLE}: one chat.postMessage per event, with a plain text fallback and one coloured
 * attachment. The channel goes to Slack exactly as written (a name like {@code deploys} or an ID like
 * {@code C0123}); Slack accepts both with or without the {@code #}.
 */
final class SlackNotifier implements Notifier {
    static final String DEFAULT_API = "https://slack.com/api";

    private final Http http;
    private final URI endpoint;
    private final String token;
    private final String channel;
    private final String title;
    private final String titleLink; // null: none

    SlackNotifier(Http http, String apiBase, String token, String channel, String title, String titleLink) {
        this.http = http;
        this.endpoint = URI.create(apiBase + "/chat.postMessage");
        this.token = token;
        this.channel = channel;
        this.title = title;
        this.titleLink = titleLink;
    }

    @Override
    public void send(Event e, String host, Instant time) throws IOException, InterruptedException {
        HttpResponse<String> r = http.post(endpoint, "application/json; charset=utf-8", body(e, host, time),
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
    }

    String body(Event e, String host, Instant time) {
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
