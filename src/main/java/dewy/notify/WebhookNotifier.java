package dewy.notify;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code webhook+https://URL}: POSTs one JSON object per event to the URL; any 2xx is delivered. The URL's path and
 * query are treated as secret (Slack incoming webhooks and most chat webhooks are bearer URLs), so this notifier
 * describes itself by scheme, host and port only.
 */
final class WebhookNotifier implements Notifier {
    private final Http http;
    private final URI target;

    WebhookNotifier(Http http, URI target) {
        this.http = http;
        this.target = target;
    }

    @Override
    public void send(Event e, String host, Instant time) throws IOException, InterruptedException {
        HttpResponse<Void> r = http.post(target, "application/json", body(e, host, time), null,
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("HTTP " + r.statusCode());
        }
    }

    static String body(Event e, String host, Instant time) {
        JsonObject o = new JsonObject();
        o.addProperty("event", e.kind());
        o.addProperty("message", e.message());
        o.addProperty("version", e.version()); // null stays a JSON null (serializeNulls below)
        o.addProperty("host", host);
        o.addProperty("time", DateTimeFormatter.ISO_INSTANT.format(time.truncatedTo(ChronoUnit.SECONDS)));
        o.addProperty("error", e.error());
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(o);
    }

    List<String> secrets() {
        List<String> s = new ArrayList<>();
        s.add(target.toString());
        addIfLong(s, target.getRawPath());
        addIfLong(s, target.getPath());
        addIfLong(s, target.getRawQuery());
        addIfLong(s, target.getRawUserInfo());
        return s;
    }

    private static void addIfLong(List<String> s, String v) {
        if (v != null && v.length() > 1) { // never "/" alone: it would redact every slash
            s.add(v);
        }
    }

    @Override
    public String describe() {
        return "webhook+" + NotifierUrls.origin(target);
    }

    @Override
    public String toString() {
        return describe();
    }
}
