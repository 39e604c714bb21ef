package dewy.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SlackNotifierTest {
    private static final String TOKEN = "xoxb-1111-2222-TOKENSECRET";
    private static final String OK = "{\"ok\":true,\"channel\":\"C1\",\"ts\":\"1.2\"}";

    private static Notifications slack(Receiver r, String url, CapturedLog log) {
        Map<String, String> env = Map.of("SLACK_TOKEN", TOKEN, "SLACK_API_URL", r.base() + "/api/", "HOSTNAME", "web-1");
        return Notifications.create(List.of(url), env, log, Duration.ofSeconds(5));
    }

    private static JsonObject attachment(JsonObject body) {
        JsonArray a = body.getAsJsonArray("attachments");
        assertEquals(1, a.size());
        return a.get(0).getAsJsonObject();
    }

    private static String field(JsonObject attachment, String title) {
        for (var f : attachment.getAsJsonArray("fields")) {
            JsonObject o = f.getAsJsonObject();
            if (o.get("title").getAsString().equals(title)) {
                assertTrue(o.get("short").getAsBoolean());
                return o.get("value").getAsString();
            }
        }
        return null;
    }

    @Test
    void postsMessageWithAttachment() throws Exception {
        CapturedLog log = new CapturedLog();
        try (Receiver r = Receiver.always(Receiver.Answer.ok(OK));
                Notifications n = slack(r, "slack://deploys?title=myapp", log)) {
            long before = Instant.now().getEpochSecond();
            n.publish(Event.info("downloaded", "downloaded v1.2.3 (app_linux_amd64.tar.gz, 12 MB)", "v1.2.3"));
            n.publish(Event.error("rollback", "rolled back to v1.2.2: health check failed", "v1.2.2"));
            assertTrue(n.flush(Duration.ofSeconds(10)));

            Receiver.Request q = r.take();
            assertEquals("POST", q.method());
            assertEquals("/api/chat.postMessage", q.path());
            assertEquals("Bearer " + TOKEN, q.header("Authorization"));
            assertEquals("application/json; charset=utf-8", q.header("Content-Type"));
            JsonObject body = JsonParser.parseString(q.body()).getAsJsonObject();
            assertEquals("deploys", body.get("channel").getAsString());
            assertEquals("[myapp] downloaded v1.2.3 (app_linux_amd64.tar.gz, 12 MB)", body.get("text").getAsString());
            JsonObject a = attachment(body);
            assertEquals("good", a.get("color").getAsString());
            assertEquals("myapp", a.get("title").getAsString());
            assertEquals("downloaded v1.2.3 (app_linux_amd64.tar.gz, 12 MB)", a.get("text").getAsString());
            assertEquals("v1.2.3", field(a, "version"));
            assertEquals("web-1", field(a, "host"));
            assertEquals("dewy", a.get("footer").getAsString());
            long ts = a.get("ts").getAsLong();
            assertTrue(ts >= before && ts <= Instant.now().getEpochSecond(), "ts " + ts);

            JsonObject second = JsonParser.parseString(r.take().body()).getAsJsonObject();
            assertEquals("danger", attachment(second).get("color").getAsString());
            assertEquals("v1.2.2", field(attachment(second), "version"));
            assertEquals(List.of(), log.matching("WARN"));
        }
    }

    @Test
    void titleDefaultsToDewy() throws Exception {
        try (Receiver r = Receiver.always(Receiver.Answer.ok(OK));
                Notifications n = slack(r, "slack://C0123", new CapturedLog())) {
            n.publish(Event.info("started", "dewy started", null));
            JsonObject body = JsonParser.parseString(r.take().body()).getAsJsonObject();
            assertEquals("C0123", body.get("channel").getAsString());
            assertEquals("[dewy] dewy started", body.get("text").getAsString());
            assertEquals("dewy", attachment(body).get("title").getAsString());
        }
    }

    @Test
    void okFalseIsAFailureAndTheNextEventStillGoes() throws Exception {
        CapturedLog log = new CapturedLog();
        try (Receiver r = new Receiver(i -> Receiver.Answer.ok(i == 0
                ? "{\"ok\":false,\"error\":\"channel_not_found\"}" : OK));
                Notifications n = slack(r, "slack://nowhere", log)) {
            n.publish(Event.info("server-started", "server started", "v1"));
            n.publish(Event.info("stopping", "stopping, received SIGTERM", "v1"));
            assertTrue(n.flush(Duration.ofSeconds(10)));
            assertEquals(2, r.drain().size());
            assertEquals(List.of("WARN notifier failed notifier=slack://nowhere event=server-started"
                    + " error=slack: channel_not_found"), log.matching("WARN"));
            assertEquals(1, log.matching("DEBUG notification sent notifier=slack://nowhere event=stopping").size());
        }
    }

    @Test
    void httpErrorsAndGarbageAreFailures() throws Exception {
        CapturedLog log = new CapturedLog();
        try (Receiver r = new Receiver(i -> switch (i) {
            case 0 -> new Receiver.Answer(429, "{\"ok\":false,\"error\":\"ratelimited\"}", Receiver.Hang.NO);
            case 1 -> Receiver.Answer.ok("<html>proxy</html>");
            case 2 -> Receiver.Answer.ok("{\"ok\":false,\"error\":\"a b\\nforged=line\"}");
            default -> Receiver.Answer.ok("{\"error\":\"x\"}");
        }); Notifications n = slack(r, "slack://deploys", log)) {
            for (int i = 0; i < 4; i++) {
                n.publish(Event.info("hook", "hook " + i, null));
            }
            assertTrue(n.flush(Duration.ofSeconds(10)));
            List<String> warns = log.matching("WARN");
            assertEquals(4, warns.size(), log.all());
            assertTrue(warns.get(0).endsWith("error=HTTP 429"), warns.get(0));
            assertTrue(warns.get(1).endsWith("error=slack: response is not JSON"), warns.get(1));
            assertTrue(warns.get(2).endsWith("error=slack: unknown error"), warns.get(2));
            assertTrue(warns.get(3).endsWith("error=slack: x"), warns.get(3)); // no "ok": not delivered
        }
    }

    @Test
    void tokenNeverInLogsDescribeOrErrors() throws Exception {
        CapturedLog log = new CapturedLog();
        // A receiver that refuses, one that answers ok:false, and a connection refused (closed port).
        int closedPort;
        try (Receiver gone = Receiver.always(Receiver.Answer.ok(OK))) {
            closedPort = gone.port();
        }
        try (Receiver r = Receiver.always(Receiver.Answer.ok("{\"ok\":false,\"error\":\"invalid_auth\"}"));
                Notifications n = slack(r, "slack://deploys", log);
                Notifications refused = Notifications.create(List.of("slack://deploys"),
                        Map.of("SLACK_TOKEN", TOKEN, "SLACK_API_URL", "http://127.0.0.1:" + closedPort),
                        log, Duration.ofSeconds(2))) {
            n.publish(Event.error("error", "download failed", "v9"));
            refused.publish(Event.error("error", "download failed", "v9"));
            assertTrue(n.flush(Duration.ofSeconds(10)));
            assertTrue(refused.flush(Duration.ofSeconds(10)));
            assertEquals(2, log.matching("WARN notifier failed").size(), log.all());
            assertFalse(log.all().contains("TOKENSECRET"), log.all());
            assertFalse(String.join(",", n.describe()).contains("TOKENSECRET"));
            assertFalse(n.toString().contains("TOKENSECRET"));
        }
    }
}
