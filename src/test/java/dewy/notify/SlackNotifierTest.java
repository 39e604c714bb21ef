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

    /** Slack answers each post with its own ts, as chat.postMessage does. */
    private static Receiver stampedSlack() throws java.io.IOException {
        return new Receiver(i -> Receiver.Answer.ok("{\"ok\":true,\"channel\":\"C1\",\"ts\":\"1700000000.00010" + i
                + "\"}"));
    }

    private static JsonObject body(Receiver.Request q) {
        return JsonParser.parseString(q.body()).getAsJsonObject();
    }

    /** thread=true: a deploy's first message in the channel, its later ones in that thread, errors broadcast too. */
    @Test
    void threadPutsADeploysMessagesUnderItsFirst() throws Exception {
        try (Receiver r = stampedSlack(); Notifications n = slack(r, "slack://deploys?thread=true", new CapturedLog())) {
            n.publish(Event.info(Event.STARTED, "Automatic shipping started", null));
            n.publish(Event.info(Event.DOWNLOADED, "Downloaded artifact for `v2`", "v2").inDeploy("v2"));
            n.publish(Event.info(Event.HOOK, "after-deploy-hook succeeded for v2", "v2").inDeploy("v2"));
            n.publish(Event.info(Event.SERVER_RESTARTED, "Server restarted for `v2` (deploy, ...)", "v2").inDeploy("v2"));
            n.publish(Event.info(Event.DOWNLOADED, "Downloaded artifact for `v3`", "v3").inDeploy("v3"));
            n.publish(Event.error(Event.ROLLBACK, "v3 rolled back to v2: exited", "v2").inDeploy("v3"));
            n.publish(Event.info(Event.SERVER_RESTARTED, "Restarted receiving by `SIGUSR1` signal", "v2"));
            assertTrue(n.flush(Duration.ofSeconds(10)));
            List<JsonObject> posts = r.drain().stream().map(SlackNotifierTest::body).toList();
            assertEquals(7, posts.size());
            assertFalse(posts.get(0).has("thread_ts"), "not part of a deploy: the channel");
            assertFalse(posts.get(1).has("thread_ts"), "the deploy's first message: the channel");
            assertEquals("1700000000.000101", posts.get(2).get("thread_ts").getAsString());
            assertFalse(posts.get(2).has("reply_broadcast"));
            assertEquals("1700000000.000101", posts.get(3).get("thread_ts").getAsString());
            assertFalse(posts.get(4).has("thread_ts"), "the next deploy starts its own thread");
            assertEquals("1700000000.000104", posts.get(5).get("thread_ts").getAsString());
            assertTrue(posts.get(5).get("reply_broadcast").getAsBoolean(), "an error reaches the channel too");
            assertFalse(posts.get(6).has("thread_ts"), "a USR1 restart is no deploy's");
        }
    }

    /** Without thread=true nothing is threaded, and quiet=true drops start, download, stop and hook successes. */
    @Test
    void quietDropsTheRoutineMessages() throws Exception {
        try (Receiver r = stampedSlack(); Notifications n = slack(r, "slack://deploys?quiet=true", new CapturedLog())) {
            n.publish(Event.info(Event.STARTED, "Automatic shipping started", null));
            n.publish(Event.info(Event.DOWNLOADED, "Downloaded artifact for `v2`", "v2").inDeploy("v2"));
            n.publish(Event.info(Event.HOOK, "before-deploy-hook succeeded for v2", "v2").inDeploy("v2"));
            n.publish(Event.error(Event.HOOK, "after-deploy-hook failed with 3", "v1").inDeploy("v2"));
            n.publish(Event.info(Event.SERVER_STARTED, "Server started for `v1`", "v1"));
            n.publish(Event.info(Event.SERVER_RESTARTED, "Server restarted for `v2` (deploy", "v2").inDeploy("v2"));
            n.publish(Event.error(Event.ERROR, "registry check failed", "v2"));
            n.publish(Event.info(Event.STOPPING, "Stop receiving by `SIGTERM` signal", "v2"));
            assertTrue(n.flush(Duration.ofSeconds(10)));
            List<String> texts = r.drain().stream().map(q -> attachment(body(q)).get("text").getAsString()).toList();
            assertEquals(List.of("after-deploy-hook failed with 3", "Server started for `v1`",
                    "Server restarted for `v2` (deploy", "registry check failed"), texts);
        }
        try (Receiver r = stampedSlack(); Notifications n = slack(r, "slack://deploys", new CapturedLog())) {
            n.publish(Event.info(Event.DOWNLOADED, "Downloaded artifact for `v2`", "v2").inDeploy("v2"));
            n.publish(Event.info(Event.HOOK, "after-deploy-hook succeeded for v2", "v2").inDeploy("v2"));
            assertTrue(n.flush(Duration.ofSeconds(10)));
            assertTrue(r.drain().stream().noneMatch(q -> body(q).has("thread_ts")), "no thread unless asked");
        }
    }

    @Test
    void threadAndQuietTakeGoDewysBooleans() {
        Map<String, String> env = Map.of("SLACK_TOKEN", TOKEN);
        for (String ok : List.of("slack://d?thread=true&quiet=1", "slack://d?thread=False&quiet=T")) {
            Notifications.create(List.of(ok), env, new CapturedLog(), Duration.ofSeconds(1)).close();
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Notifications.create(List.of("slack://d?thread=yes"), env, new CapturedLog(), Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("thread= wants true or false"), e.getMessage());
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
