package dewy.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NotifierUrlsTest {
    private static final String TOKEN = "xoxb-1111-2222-TOKENSECRET";
    private static final Map<String, String> ENV = Map.of("SLACK_TOKEN", TOKEN);

    private static String error(String url, Map<String, String> env) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Notifications.create(List.of(url), env));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void unknownScheme() {
        assertEquals("--notifier foo://x: unknown scheme (use slack://CHANNEL or webhook+https://URL)",
                error("foo://x", ENV));
    }

    @Test
    void unknownSchemeNeverQuotesThePath() {
        // The likely typos around a Slack incoming webhook: its path is the secret.
        String m = error("https://hooks.slack.com/services/T000/B000/HOOKSECRET", ENV);
        assertEquals("--notifier https://hooks.slack.com: unknown scheme (use slack://CHANNEL or webhook+https://URL)", m);
        m = error("webhook:https://hooks.slack.com/services/T000/B000/HOOKSECRET", ENV);
        assertFalse(m.contains("HOOKSECRET"), m);
        m = error("hooks.slack.com/services/T000/B000/HOOKSECRET", ENV);
        assertFalse(m.contains("HOOKSECRET"), m);
        m = error("webhook+https://user:PASSSECRET@hooks.example.com/x/HOOKSECRET?k=QUERYSECRET:bad port", ENV);
        assertFalse(m.contains("SECRET"), m);
    }

    @Test
    void slackWithoutToken() {
        assertEquals("--notifier slack://x: SLACK_TOKEN is not set", error("slack://x", Map.of()));
        assertEquals("--notifier slack://x: SLACK_TOKEN is not set", error("slack://x?title=app", Map.of("SLACK_TOKEN", " ")));
    }

    @Test
    void slackEmptyChannel() {
        assertEquals("--notifier slack://: the channel is empty (use slack://CHANNEL)", error("slack://", ENV));
        assertEquals("--notifier slack://: the channel is empty (use slack://CHANNEL)", error("slack://?title=a", ENV));
    }

    @Test
    void slackBadChannelAndParameter() {
        assertTrue(error("slack://a/b", ENV).startsWith("--notifier slack://a/b: not a channel"));
        assertEquals("--notifier slack://x: unknown parameter titel (use title, url, thread, quiet)", error("slack://x?titel=a", ENV));
        assertEquals("--notifier slack://x: url is not an http(s) URL", error("slack://x?url=ftp://h/", ENV));
        assertEquals("--notifier slack://x: SLACK_API_URL is not an http(s) URL",
                error("slack://x", Map.of("SLACK_TOKEN", TOKEN, "SLACK_API_URL", "localhost:99")));
    }

    @Test
    void webhookFtp() {
        assertEquals("--notifier webhook+ftp://files.example.com: a webhook URL must be http or https (webhook+https://URL)",
                error("webhook+ftp://files.example.com/HOOKSECRET", ENV));
    }

    @Test
    void webhookWithoutHost() {
        assertEquals("--notifier webhook+https://: the webhook URL has no host", error("webhook+https:///HOOKSECRET", ENV));
    }

    @Test
    void emptyUrl() {
        assertEquals("--notifier: the URL is empty", error(" ", ENV));
    }

    @Test
    void slackChannelIsKeptAsGiven() {
        Http http = new Http(Duration.ofSeconds(1));
        assertEquals("slack://deploys", NotifierUrls.parse("slack://deploys", ENV, http).describe());
        assertEquals("slack://C0123ABC", NotifierUrls.parse("slack://C0123ABC?title=x", ENV, http).describe());
        assertEquals("slack://#deploys", NotifierUrls.parse("slack://%23deploys", ENV, http).describe());
        assertEquals("slack://#deploys", NotifierUrls.parse("slack://#deploys", ENV, http).describe());
        assertEquals("slack://my_team-deploys", NotifierUrls.parse("slack://my_team-deploys", ENV, http).describe());
    }

    @Test
    void slackBodyUsesChannelTitleAndLink() {
        SlackNotifier s = (SlackNotifier) NotifierUrls.parse("slack://C0123?title=My%20App&url=https://example.com/app",
                ENV, new Http(Duration.ofSeconds(1)));
        String body = s.body(Event.info("started", "m", null), "h", java.time.Instant.EPOCH);
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(body).getAsJsonObject();
        assertEquals("C0123", o.get("channel").getAsString());
        assertEquals("[My App] m", o.get("text").getAsString());
        com.google.gson.JsonObject a = o.getAsJsonArray("attachments").get(0).getAsJsonObject();
        assertEquals("My App", a.get("title").getAsString());
        assertEquals("https://example.com/app", a.get("title_link").getAsString());
        // No version: only the host field.
        assertEquals(1, a.getAsJsonArray("fields").size());
        assertEquals("host", a.getAsJsonArray("fields").get(0).getAsJsonObject().get("title").getAsString());
        assertNull(o.get("token"));
    }

    @Test
    void webhookDescribesSchemeHostAndPortOnly() {
        Http http = new Http(Duration.ofSeconds(1));
        Notifier n = NotifierUrls.parse("webhook+https://user:PASSSECRET@hooks.example.com/services/T0/HOOKSECRET?k=QUERYSECRET",
                ENV, http);
        assertInstanceOf(WebhookNotifier.class, n);
        assertEquals("webhook+https://hooks.example.com:443", n.describe());
        assertEquals("webhook+https://hooks.example.com:443", n.toString());
        assertEquals("webhook+http://127.0.0.1:8080", NotifierUrls.parse("webhook+http://127.0.0.1:8080/x", ENV, http).describe());
        assertEquals("webhook+http://h:80", NotifierUrls.parse("WEBHOOK+HTTP://h", ENV, http).describe());
    }

    @Test
    void describeListsEveryNotifierWithoutSecrets() {
        try (Notifications n = Notifications.create(List.of("slack://deploys?title=app",
                "webhook+https://hooks.slack.com/services/T000/B000/HOOKSECRET"), ENV)) {
            assertEquals(List.of("slack://deploys", "webhook+https://hooks.slack.com:443"), n.describe());
            assertFalse(n.toString().contains(TOKEN) || n.toString().contains("HOOKSECRET"), n.toString());
            assertNull(n.thread(), "no thread before the first event");
        }
    }

    @Test
    void emptyListIsValid() {
        try (Notifications n = Notifications.create(List.of(), Map.of())) {
            assertEquals(List.of(), n.describe());
        }
    }
}
