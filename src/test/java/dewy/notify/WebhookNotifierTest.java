package dewy.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookNotifierTest {
    private static final Instant TIME = Instant.parse("2026-11-25T19:32:50.123456Z");

    @Test
    void bodyIsExactly() {
        assertEquals("{\"event\":\"downloaded\",\"message\":\"downloaded v1.2.3 (app.tar.gz, 12 MB) <ok> & \\\"done\\\"\","
                        + "\"version\":\"v1.2.3\",\"host\":\"web-1\",\"time\":\"2026-11-25T19:32:50Z\",\"error\":false}",
                WebhookNotifier.body(Event.info("downloaded", "downloaded v1.2.3 (app.tar.gz, 12 MB) <ok> & \"done\"",
                        "v1.2.3"), "web-1", TIME));
        assertEquals("{\"event\":\"error\",\"message\":\"registry: HTTP 503\",\"version\":null,\"host\":\"web-1\","
                        + "\"time\":\"2026-11-25T19:32:50Z\",\"error\":true}",
                WebhookNotifier.body(Event.error("error", "registry: HTTP 503", null), "web-1", TIME));
    }

    @Test
    void postsToTheUrlWithoutThePrefix() throws Exception {
        CapturedLog log = new CapturedLog();
        try (Receiver r = Receiver.always(Receiver.Answer.ok(""));
                Notifications n = Notifications.create(List.of("webhook+" + r.base() + "/hooks/HOOKSECRET?k=v%20w"),
                        Map.of("HOSTNAME", "web-1"), log, Duration.ofSeconds(5))) {
            Instant before = Instant.now().minusSeconds(1);
            n.publish(Event.error("hook", "before-deploy hook failed: exit 3", "v2"));
            assertTrue(n.flush(Duration.ofSeconds(10)));
            Receiver.Request q = r.take();
            assertEquals("POST", q.method());
            assertEquals("/hooks/HOOKSECRET", q.path());
            assertEquals("k=v%20w", q.query());
            assertEquals("application/json", q.header("Content-Type"));
            JsonObject o = JsonParser.parseString(q.body()).getAsJsonObject();
            assertEquals(List.of("event", "message", "version", "host", "time", "error"), new ArrayList<>(o.keySet()));
            assertEquals("hook", o.get("event").getAsString());
            assertEquals("before-deploy hook failed: exit 3", o.get("message").getAsString());
            assertEquals("v2", o.get("version").getAsString());
            assertEquals("web-1", o.get("host").getAsString());
            assertTrue(o.get("error").getAsBoolean());
            String time = o.get("time").getAsString();
            assertTrue(time.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), time);
            Instant t = Instant.parse(time);
            assertFalse(t.isBefore(before) || t.isAfter(Instant.now()), time);
            assertEquals(List.of(), log.matching("WARN"));
        }
    }

    @Test
    void everyKindIsDeliveredInOrder() throws Exception {
        List<Event> events = List.of(
                Event.info(Event.STARTED, "dewy 0.1.0 started: java -jar app.jar", null),
                Event.info(Event.DOWNLOADED, "downloaded v1.2.3 (app_linux_amd64.tar.gz, 12 MB)", "v1.2.3"),
                Event.info(Event.HOOK, "before-deploy hook ok", "v1.2.3"),
                Event.error(Event.HOOK, "after-deploy hook failed: exit 1", "v1.2.3"),
                Event.info(Event.SERVER_STARTED, "server started, pid 42", "v1.2.3"),
                Event.info(Event.SERVER_RESTARTED, "server restarted: deploy", "v1.2.3"),
                Event.info(Event.SERVER_RESTARTED, "server restarted: USR1 signal", "v1.2.3"),
                Event.info(Event.SERVER_RESTARTED, "server restarted: crash", "v1.2.3"),
                Event.error(Event.ROLLBACK, "rolled back to v1.2.2", "v1.2.2"),
                Event.error(Event.ERROR, "verify failed: checksum mismatch", "v1.2.4"),
                Event.info(Event.STOPPING, "stopping, received SIGTERM", "v1.2.2"));
        List<String> kinds = List.of("started", "downloaded", "hook", "hook", "server-started", "server-restarted",
                "server-restarted", "server-restarted", "rollback", "error", "stopping");
        CapturedLog log = new CapturedLog();
        try (Receiver r = Receiver.always(Receiver.Answer.ok("ok"));
                Notifications n = Notifications.create(List.of("webhook+" + r.base() + "/x"),
                        Map.of("HOSTNAME", "h"), log, Duration.ofSeconds(5))) {
            events.forEach(n::publish);
            assertTrue(n.flush(Duration.ofSeconds(10)));
            List<String> got = new ArrayList<>();
            List<String> messages = new ArrayList<>();
            for (Receiver.Request q : r.drain()) {
                JsonObject o = JsonParser.parseString(q.body()).getAsJsonObject();
                got.add(o.get("event").getAsString());
                messages.add(o.get("message").getAsString());
                assertEquals(o.get("event").getAsString().equals("rollback") || o.get("event").getAsString().equals("error")
                        || o.get("message").getAsString().contains("failed"), o.get("error").getAsBoolean());
            }
            assertEquals(kinds, got);
            assertEquals(events.stream().map(Event::message).toList(), messages);
            // The built-in log notifier: every event, at error when it is one.
            assertEquals(8, log.matching("INFO").size(), log.all());
            assertEquals(List.of("ERROR after-deploy hook failed: exit 1 event=hook version=v1.2.3",
                    "ERROR rolled back to v1.2.2 event=rollback version=v1.2.2",
                    "ERROR verify failed: checksum mismatch event=error version=v1.2.4"), log.matching("ERROR"));
            assertTrue(log.lines.contains("INFO dewy 0.1.0 started: java -jar app.jar event=started"), log.all());
        }
    }

    @Test
    void a500DoesNotStopTheOtherNotifier() throws Exception {
        CapturedLog log = new CapturedLog();
        try (Receiver bad = Receiver.always(new Receiver.Answer(500, "boom", Receiver.Hang.NO));
                Receiver good = Receiver.always(Receiver.Answer.ok(""));
                Notifications n = Notifications.create(List.of("webhook+" + bad.base() + "/a/HOOKSECRET",
                        "webhook+" + good.base() + "/b"), Map.of("HOSTNAME", "h"), log, Duration.ofSeconds(5))) {
            for (int i = 0; i < 3; i++) {
                n.publish(Event.info("server-restarted", "restart " + i, "v1"));
            }
            assertTrue(n.flush(Duration.ofSeconds(10)));
            assertEquals(3, bad.drain().size());
            assertEquals(3, good.drain().size());
            List<String> warns = log.matching("WARN");
            assertEquals(3, warns.size(), log.all());
            assertEquals("WARN notifier failed notifier=webhook+http://127.0.0.1:" + bad.port()
                    + " event=server-restarted error=HTTP 500", warns.get(0));
            assertFalse(log.all().contains("HOOKSECRET"), log.all());
        }
    }

    @Test
    void unreachableWebhookNeverLogsItsPath() throws Exception {
        int closedPort;
        try (Receiver gone = Receiver.always(Receiver.Answer.ok(""))) {
            closedPort = gone.port();
        }
        CapturedLog log = new CapturedLog();
        try (Notifications n = Notifications.create(List.of("webhook+http://127.0.0.1:" + closedPort
                + "/services/T000/B000/HOOKSECRET"), Map.of(), log, Duration.ofSeconds(2))) {
            n.publish(Event.info("started", "started", null));
            assertTrue(n.flush(Duration.ofSeconds(10)));
            List<String> warns = log.matching("WARN notifier failed notifier=webhook+http://127.0.0.1:" + closedPort
                    + " event=started error=");
            assertEquals(1, warns.size(), log.all());
            assertFalse(log.all().contains("HOOKSECRET") || log.all().contains("/services/"), log.all());
        }
    }

    @Test
    void goesThroughHttpProxyUnlessNoProxySaysOtherwise() throws Exception {
        CapturedLog log = new CapturedLog();
        try (Receiver r = Receiver.always(Receiver.Answer.ok(""));
                dewy.net.RecordingProxy proxy = new dewy.net.RecordingProxy()) {
            // hooks.invalid never resolves: only the proxy (which sends it to 127.0.0.1) can deliver
            String hook = "webhook+http://hooks.invalid:" + r.port() + "/hook";
            try (Notifications n = Notifications.create(List.of(hook), Map.of("HTTP_PROXY", proxy.url()), log,
                    Duration.ofSeconds(5))) {
                n.publish(Event.info("started", "through the proxy", null));
                assertTrue(n.flush(Duration.ofSeconds(10)));
                assertEquals("/hook", r.take().path());
                assertEquals(List.of("POST http://hooks.invalid:" + r.port() + "/hook"), proxy.seen());
            }
            try (Notifications n = Notifications.create(List.of(hook),
                    Map.of("HTTP_PROXY", proxy.url(), "NO_PROXY", ".invalid"), log, Duration.ofSeconds(5))) {
                n.publish(Event.info("started", "straight to the host", null));
                assertTrue(n.flush(Duration.ofSeconds(10)));
                assertEquals(1, proxy.seen().size(), "bypassed");
                assertTrue(r.drain().isEmpty(), "hooks.invalid does not resolve: nothing arrives");
            }
        }
    }
}
