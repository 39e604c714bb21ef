package dewy.notify;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NotificationsTest {
    /** Records what it is sent; can hold the dispatcher until released, or fail. */
    static final class Fake implements Notifier {
        final List<String> sent = new CopyOnWriteArrayList<>();
        final List<String> hosts = new CopyOnWriteArrayList<>();
        final CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch gate; // null: no waiting
        volatile RuntimeException fail;

        @Override
        public void send(Event e, String host, Instant time) throws InterruptedException, IOException {
            entered.countDown();
            CountDownLatch g = gate;
            if (g != null && !g.await(10, TimeUnit.SECONDS)) {
                throw new IOException("test gate never opened");
            }
            if (fail != null) {
                throw fail;
            }
            sent.add(e.kind() + ":" + e.message());
            hosts.add(host);
        }

        @Override
        public String describe() {
            return "fake";
        }
    }

    private static Notifications with(CapturedLog log, int capacity, Notifier... n) {
        return new Notifications(List.of(n), "h", log, Clock.systemUTC(), capacity);
    }

    @Test
    void identicalErrorsAreDeliveredThreeTimesUntilSuccess() {
        CapturedLog log = new CapturedLog();
        Fake f = new Fake();
        try (Notifications n = with(log, 256, f)) {
            for (int i = 0; i < 5; i++) {
                n.publish(Event.error("error", "registry: HTTP 503", null));
            }
            n.publish(Event.error("error", "registry: HTTP 502", null)); // another message: its own count
            n.publish(Event.error("rollback", "registry: HTTP 503", null)); // another kind too
            assertTrue(n.flush(Duration.ofSeconds(5)));
            assertEquals(List.of("error:registry: HTTP 503", "error:registry: HTTP 503", "error:registry: HTTP 503",
                    "error:registry: HTTP 502", "rollback:registry: HTTP 503"), f.sent);
            assertEquals(List.of("DEBUG notification suppressed, repeated error event=error repeats=4",
                    "DEBUG notification suppressed, repeated error event=error repeats=5"),
                    log.matching("DEBUG notification suppressed"));
            assertEquals(7, log.matching("ERROR").size(), "the log is never rate limited");

            n.success();
            n.publish(Event.error("error", "registry: HTTP 503", null));
            assertTrue(n.flush(Duration.ofSeconds(5)));
            assertEquals(6, f.sent.size(), "delivered again after success()");
        }
    }

    @Test
    void aNonErrorEventResetsTheRepeats() {
        Fake f = new Fake();
        try (Notifications n = with(new CapturedLog(), 256, f)) {
            for (int i = 0; i < 4; i++) {
                n.publish(Event.error("error", "download failed", "v2"));
            }
            n.publish(Event.info("server-restarted", "server restarted: crash", "v1"));
            for (int i = 0; i < 4; i++) {
                n.publish(Event.error("error", "download failed", "v2"));
            }
            assertTrue(n.flush(Duration.ofSeconds(5)));
            assertEquals(3 + 1 + 3, f.sent.size(), f.sent.toString());
        }
    }

    @Test
    void nonErrorEventsAreNeverSuppressed() {
        Fake f = new Fake();
        try (Notifications n = with(new CapturedLog(), 256, f)) {
            for (int i = 0; i < 10; i++) {
                n.publish(Event.info("server-restarted", "server restarted: USR1 signal", "v1"));
            }
            assertTrue(n.flush(Duration.ofSeconds(5)));
            assertEquals(10, f.sent.size());
        }
    }

    @Test
    void aFullQueueDropsTheOldestNonError() throws Exception {
        CapturedLog log = new CapturedLog();
        Fake f = new Fake();
        f.gate = new CountDownLatch(1);
        try (Notifications n = with(log, 3, f)) {
            n.publish(Event.info("started", "a", null));
            assertTrue(f.entered.await(5, TimeUnit.SECONDS)); // "a" is in flight, the queue is empty
            n.publish(Event.info("downloaded", "b", null));
            n.publish(Event.error("error", "c", null));
            n.publish(Event.info("server-started", "d", null)); // full: b c d
            n.publish(Event.error("error", "e", null)); // drops b
            n.publish(Event.info("stopping", "f", null)); // drops d
            assertFalse(n.flush(Duration.ofMillis(50)));
            f.gate.countDown();
            assertTrue(n.flush(Duration.ofSeconds(5)));
            assertEquals(List.of("started:a", "error:c", "error:e", "stopping:f"), f.sent);
            assertEquals(List.of("WARN notification dropped, queue full event=downloaded",
                    "WARN notification dropped, queue full event=server-started"), log.matching("WARN"));
        }
    }

    @Test
    void aFullQueueOfErrorsDropsTheOldest() throws Exception {
        Fake f = new Fake();
        f.gate = new CountDownLatch(1);
        try (Notifications n = with(new CapturedLog(), 2, f)) {
            n.publish(Event.error("error", "a", null));
            assertTrue(f.entered.await(5, TimeUnit.SECONDS));
            n.publish(Event.error("error", "b", null));
            n.publish(Event.error("error", "c", null));
            n.publish(Event.error("error", "d", null)); // drops b
            f.gate.countDown();
            assertTrue(n.flush(Duration.ofSeconds(5)));
            assertEquals(List.of("error:a", "error:c", "error:d"), f.sent);
        }
    }

    @Test
    void aHangingReceiverBlocksNeitherPublishNorFlushBeyondItsBound() throws Exception {
        CapturedLog log = new CapturedLog();
        try (Receiver hang = Receiver.always(new Receiver.Answer(200, "", Receiver.Hang.BEFORE_HEADERS));
                Notifications n = Notifications.create(List.of("webhook+" + hang.base() + "/h"), Map.of("HOSTNAME", "h"),
                        log, Http.TIMEOUT)) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                n.publish(Event.info("server-restarted", "restart " + i, "v1"));
            }
            long publishMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(publishMs < 1000, "100 publishes took " + publishMs + " ms");
            hang.take(); // the dispatcher is now waiting on the receiver

            t0 = System.nanoTime();
            assertFalse(n.flush(Duration.ofMillis(300)));
            long flushMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(flushMs >= 290 && flushMs < 1300, "flush(300 ms) took " + flushMs + " ms");

            t0 = System.nanoTime();
            n.close();
            long closeMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(closeMs < Notifications.CLOSE_BOUND.toMillis() + 1500, "close took " + closeMs + " ms");
            assertFalse(n.thread().isAlive(), "close stops the dispatcher");
        }
    }

    @Test
    void aReceiverThatNeverAnswersIsGivenUpAfterTheTimeout() throws Exception {
        for (Receiver.Hang how : List.of(Receiver.Hang.BEFORE_HEADERS, Receiver.Hang.AFTER_HEADERS)) {
            CapturedLog log = new CapturedLog();
            try (Receiver hang = Receiver.always(new Receiver.Answer(200, "{\"ok\":true}", how));
                    Receiver good = Receiver.always(Receiver.Answer.ok(""));
                    Notifications n = Notifications.create(List.of("webhook+" + hang.base() + "/h",
                            "webhook+" + good.base() + "/g"), Map.of("HOSTNAME", "h"), log, Duration.ofMillis(300))) {
                long t0 = System.nanoTime();
                n.publish(Event.info("downloaded", "one", "v1"));
                n.publish(Event.info("downloaded", "two", "v1"));
                assertTrue(n.flush(Duration.ofSeconds(10)), how.toString());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms >= 550 && ms < 5000, how + ": two timeouts took " + ms + " ms");
                assertEquals(2, good.drain().size(), how.toString());
                List<String> warns = log.matching("WARN notifier failed");
                assertEquals(2, warns.size(), log.all());
                assertTrue(warns.get(0).endsWith("error=no response within 300 ms"), warns.get(0));
            }
        }
    }

    @Test
    void aNotifierThatThrowsDoesNotStopTheDispatcher() {
        CapturedLog log = new CapturedLog();
        Fake broken = new Fake();
        broken.fail = new IllegalStateException("bug\nin a notifier");
        Fake ok = new Fake();
        try (Notifications n = with(log, 256, broken, ok)) {
            n.publish(Event.info("started", "one", null));
            n.publish(Event.info("stopping", "two", null));
            assertTrue(n.flush(Duration.ofSeconds(5)));
            assertEquals(List.of("started:one", "stopping:two"), ok.sent);
            assertEquals("WARN notifier failed notifier=fake event=started error=IllegalStateException: bug in a notifier",
                    log.matching("WARN").get(0));
        }
    }

    @Test
    void publishNeverThrowsAndNothingStartsWithoutNotifiers() {
        CapturedLog log = new CapturedLog();
        try (Notifications n = with(log, 256)) {
            assertDoesNotThrow(() -> n.publish(null));
            n.publish(Event.info("started", "only logged", "v1"));
            assertNull(n.thread(), "no notifiers: no thread");
            assertTrue(n.flush(Duration.ZERO));
            assertEquals(List.of("INFO only logged event=started version=v1"), log.lines);
        }
    }

    @Test
    void theThreadStartsAtTheFirstEvent() {
        Fake f = new Fake();
        try (Notifications n = with(new CapturedLog(), 256, f)) {
            assertNull(n.thread());
            n.publish(Event.info("started", "s", null));
            Thread t = n.thread();
            assertNotNull(t);
            assertEquals("dewy-notify", t.getName());
            assertTrue(t.isDaemon());
            assertTrue(n.flush(Duration.ofSeconds(5)));
            assertEquals(List.of("h"), f.hosts);
        }
    }

    @Test
    void afterCloseEventsAreOnlyLogged() throws Exception {
        CapturedLog log = new CapturedLog();
        Fake f = new Fake();
        Notifications n = with(log, 256, f);
        n.publish(Event.info("started", "s", null));
        n.close();
        n.close(); // twice is fine
        n.thread().join(2000);
        assertFalse(n.thread().isAlive());
        n.publish(Event.info("stopping", "late", null));
        assertEquals(List.of("started:s"), f.sent);
        assertTrue(log.lines.contains("INFO late event=stopping"), log.all());
    }

    @Test
    void hostComesFromHostnameOrTheResolver() throws Exception {
        Fake f = new Fake();
        try (Notifications n = new Notifications(List.of(f), null, new CapturedLog(), Clock.systemUTC(), 8)) {
            n.publish(Event.info("started", "s", null));
            assertTrue(n.flush(Duration.ofSeconds(10)));
        }
        assertEquals(List.of(InetAddress.getLocalHost().getHostName()), f.hosts);
        try (Receiver r = Receiver.always(Receiver.Answer.ok(""));
                Notifications n = Notifications.create(List.of("webhook+" + r.base()), Map.of("HOSTNAME", "pod-7"),
                        new CapturedLog(), Duration.ofSeconds(5))) {
            n.publish(Event.info("started", "s", null));
            assertTrue(r.take().body().contains("\"host\":\"pod-7\""));
        }
    }

    @Test
    void timeIsWhenPublished() throws Exception {
        Instant fixed = Instant.parse("2026-11-25T19:32:50Z");
        try (Receiver r = Receiver.always(Receiver.Answer.ok(""))) {
            Notifier w = NotifierUrls.parse("webhook+" + r.base(), Map.of(), new Http(Duration.ofSeconds(5)));
            try (Notifications n = new Notifications(List.of(w), "h", new CapturedLog(),
                    Clock.fixed(fixed, java.time.ZoneOffset.UTC), 8)) {
                n.publish(Event.info("started", "s", null));
                assertTrue(r.take().body().contains("\"time\":\"2026-11-25T19:32:50Z\""));
            }
        }
    }

    @Test
    void failureMessagesAreRedacted() throws Exception {
        int closedPort;
        try (Receiver gone = Receiver.always(Receiver.Answer.ok(""))) {
            closedPort = gone.port();
        }
        String token = "xoxb-1111-2222-TOKENSECRET";
        String origin = "http://127.0.0.1:" + closedPort;
        Http http = new Http(Duration.ofSeconds(2));
        Map<String, String> env = Map.of("SLACK_TOKEN", token, "SLACK_API_URL", origin);
        // Real notifiers for their secrets (they fail at once: nothing listens); the fake leaks them in its error.
        Notifier slack = NotifierUrls.parse("slack://deploys", env, http);
        Notifier hook = NotifierUrls.parse("webhook+" + origin + "/services/T0/HOOKSECRET?sig=QUERYSECRET", env, http);
        Fake leaky = new Fake();
        leaky.fail = new IllegalStateException("Bearer " + token + " refused for " + origin
                + "/services/T0/HOOKSECRET?sig=QUERYSECRET, path /services/T0/HOOKSECRET, query sig=QUERYSECRET");
        CapturedLog log = new CapturedLog();
        try (Notifications n = new Notifications(List.of(leaky, slack, hook), "h", log, Clock.systemUTC(), 8)) {
            n.publish(Event.info("started", "s", null));
            assertTrue(n.flush(Duration.ofSeconds(10)));
            assertEquals(3, log.matching("WARN notifier failed").size(), log.all());
            String line = log.matching("WARN notifier failed notifier=fake").get(0);
            assertEquals("WARN notifier failed notifier=fake event=started error=IllegalStateException: Bearer *** "
                    + "refused for ***, path ***, query ***", line);
            assertFalse(log.all().contains("SECRET"), log.all());
        }
    }

    // ---- independent notifiers ----------------------------------------------------------------------------------

    @Test
    void aStalledSlackNeverDelaysTheWebhook() throws Exception {
        CapturedLog log = new CapturedLog();
        try (Receiver slack = Receiver.always(new Receiver.Answer(200, "{\"ok\":true}", Receiver.Hang.BEFORE_HEADERS));
                Receiver hook = Receiver.always(Receiver.Answer.ok(""));
                Notifications n = Notifications.create(List.of("slack://deploys", "webhook+" + hook.base() + "/h"),
                        Map.of("HOSTNAME", "h", "SLACK_TOKEN", "xoxb-stalled", "SLACK_API_URL", slack.base()), log,
                        Http.TIMEOUT)) {
            int count = 20; // one after another behind a dead Slack: 20 x 5 s
            for (int i = 0; i < count; i++) {
                n.publish(Event.info("server-restarted", "restart " + i, "v1"));
            }
            List<String> got = new java.util.ArrayList<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // behind 5 s per Slack event: 2 at most
            while (got.size() < count) {
                Receiver.Request r = hook.requests.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
                assertNotNull(r, "the webhook got " + got.size() + " of " + count + " events in 10 s");
                got.add(com.google.gson.JsonParser.parseString(r.body()).getAsJsonObject().get("message")
                        .getAsString());
            }
            java.util.List<String> want = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                want.add("restart " + i);
            }
            assertEquals(want, got, "every event, in order");
            assertTrue(slack.requests.size() <= 1, "Slack is still on its first request: " + slack.requests.size());
            assertNotNull(n.thread(0));
            assertNotNull(n.thread(1));
            assertEquals("dewy-notify-2", n.thread(1).getName());
            assertFalse(log.all().contains("xoxb-stalled"), log.all());
        }
    }

    @Test
    void flushWaitsForAllQueuesWithinOneBound() throws Exception {
        Fake stuck1 = new Fake();
        Fake stuck2 = new Fake();
        Fake fine = new Fake();
        stuck1.gate = new CountDownLatch(1);
        stuck2.gate = new CountDownLatch(1);
        try (Notifications n = with(new CapturedLog(), 256, stuck1, stuck2, fine)) {
            n.publish(Event.info("stopping", "stopping, received SIGTERM", null));
            assertTrue(stuck1.entered.await(5, TimeUnit.SECONDS));
            assertTrue(stuck2.entered.await(5, TimeUnit.SECONDS), "the second does not wait for the first");
            long t0 = System.nanoTime();
            assertFalse(n.flush(Duration.ofMillis(600)));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 590 && ms < 1100, "flush(600 ms) of two stuck notifiers took " + ms + " ms");
            assertEquals(List.of("stopping:stopping, received SIGTERM"), fine.sent);
            t0 = System.nanoTime();
            n.close(); // a flush already waited its bound: close does not wait another
            long closeMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(closeMs < Notifications.JOIN_BOUND.toMillis() + 400, "close took " + closeMs + " ms");
            stuck1.gate.countDown();
            stuck2.gate.countDown();
        }
    }

    @Test
    void everyNotifierGetsTheSameRateLimitedEvents() {
        Fake a = new Fake();
        Fake b = new Fake();
        CapturedLog log = new CapturedLog();
        try (Notifications n = with(log, 256, a, b)) {
            for (int i = 0; i < 5; i++) {
                n.publish(Event.error("error", "registry: HTTP 503", null));
            }
            n.publish(Event.info("downloaded", "downloaded v2", "v2"));
            assertTrue(n.flush(Duration.ofSeconds(5)));
            List<String> want = List.of("error:registry: HTTP 503", "error:registry: HTTP 503",
                    "error:registry: HTTP 503", "downloaded:downloaded v2");
            assertEquals(want, a.sent);
            assertEquals(want, b.sent);
            assertEquals(2, log.matching("DEBUG notification suppressed").size(), "decided once, not per notifier");
        }
    }

    @Test
    void aFullQueueDropsOnlyAtTheNotifierThatIsBehind() throws Exception {
        CapturedLog log = new CapturedLog();
        Fake slow = new Fake();
        Fake fast = new Fake();
        slow.gate = new CountDownLatch(1);
        try (Notifications n = with(log, 2, slow, fast)) {
            n.publish(Event.info("started", "a", null));
            assertTrue(slow.entered.await(5, TimeUnit.SECONDS));
            Wait.until(() -> fast.sent.size() == 1);
            n.publish(Event.info("downloaded", "b", null));
            Wait.until(() -> fast.sent.size() == 2);
            n.publish(Event.info("server-started", "c", null));
            Wait.until(() -> fast.sent.size() == 3);
            n.publish(Event.info("stopping", "d", null)); // slow's queue (b, c) is full: b goes
            Wait.until(() -> fast.sent.size() == 4);
            slow.gate.countDown();
            assertTrue(n.flush(Duration.ofSeconds(5)));
            assertEquals(List.of("started:a", "downloaded:b", "server-started:c", "stopping:d"), fast.sent);
            assertEquals(List.of("started:a", "server-started:c", "stopping:d"), slow.sent);
            assertEquals(List.of("WARN notification dropped, queue full event=downloaded notifier=fake"),
                    log.matching("WARN"));
        }
    }

    /** Waits (at most 5 s) for a condition. */
    private static final class Wait {
        static void until(java.util.function.BooleanSupplier c) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!c.getAsBoolean()) {
                assertTrue(System.nanoTime() < end, "timed out");
                Thread.sleep(5);
            }
        }
    }
}
