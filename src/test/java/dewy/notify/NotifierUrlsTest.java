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
        assertEquals("--notifier foo://x: unknown scheme (use slack://CHANNEL, webhook+https://URL or smtp://HOST:PORT/TO)",
                error("foo://x", ENV));
    }

    @Test
    void unknownSchemeNeverQuotesThePath() {
        // The likely typos around a Slack incoming webhook: its path is the secret.
        String m = error("https://hooks.slack.com/services/T000/B000/HOOKSECRET", ENV);
        assertEquals("--notifier https://hooks.slack.com: unknown scheme (use slack://CHANNEL, webhook+https://URL or smtp://HOST:PORT/TO)", m);
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

    private static MailNotifier.Settings mail(String url, Map<String, String> env) {
        Notifier n = NotifierUrls.parse(url, env, new Http(Duration.ofSeconds(3)));
        return assertInstanceOf(MailNotifier.class, n).settings();
    }

    @Test
    void mailTakesGoDewysUrl() {
        MailNotifier.Settings s = mail("smtp://smtp.gmail.com:587/recipient@example.com?username=sender@gmail.com"
                + "&password=MAILSECRET&from=from@gmail.com&subject=Test+Subject&tls=true", Map.of());
        assertEquals("smtp.gmail.com", s.host());
        assertEquals(587, s.port());
        assertEquals("recipient@example.com", s.to());
        assertEquals("from@gmail.com", s.from());
        assertEquals("Test Subject", s.subject());
        assertEquals("sender@gmail.com", s.username());
        assertEquals("MAILSECRET", s.password());
        assertEquals(MailNotifier.Tls.STARTTLS, s.tls());
        assertFalse(s.quiet());
        assertNull(s.trust());
        assertEquals(Duration.ofSeconds(3), s.timeout());
        assertFalse(s.toString().contains("MAILSECRET"), s.toString());

        s = mail("mail://Mail.Example.com/ops@example.com?from=dewy@example.com&quiet=1", Map.of());
        assertEquals("mail.example.com", s.host());
        assertEquals(587, s.port(), "Go dewy's default port");
        assertEquals("Dewy Notification", s.subject());
        assertNull(s.username());
        assertNull(s.password());
        assertTrue(s.quiet());
    }

    @Test
    void mailFallsBackOnTheEnvironmentAndFromOnTheUsername() {
        Map<String, String> env = Map.of("MAIL_USERNAME", "env@example.com", "MAIL_PASSWORD", "envMAILSECRET",
                "MAIL_FROM", "envfrom@example.com");
        MailNotifier.Settings s = mail("smtp://smtp.example.com:25/to@example.com", env);
        assertEquals(25, s.port());
        assertEquals("env@example.com", s.username());
        assertEquals("envMAILSECRET", s.password());
        assertEquals("envfrom@example.com", s.from());
        s = mail("smtp://smtp.example.com:25/to@example.com?username=url@example.com&password=p&from=f@example.com", env);
        assertEquals("url@example.com", s.username(), "the URL wins over the environment");
        assertEquals("p", s.password());
        assertEquals("f@example.com", s.from());
        s = mail("smtp://smtp.example.com/to@example.com?username=user@example.com&password=p", Map.of());
        assertEquals("user@example.com", s.from());
        s = mail("smtp://smtp.example.com/a@example.com,b@example.com?password=p%26q%3D", Map.of("MAIL_USERNAME", "u@x"));
        assertEquals("a@example.com,b@example.com", s.to());
        assertEquals("p&q=", s.password(), "percent-decoded");
    }

    @Test
    void mailTlsModes() {
        String to = "/to@example.com?from=f@example.com";
        assertEquals(MailNotifier.Tls.STARTTLS, mail("smtp://h:587" + to, Map.of()).tls());
        assertEquals(MailNotifier.Tls.IMPLICIT, mail("smtp://h:465" + to, Map.of()).tls(), "Go's dialer: 465 is SMTPS");
        assertEquals(MailNotifier.Tls.IMPLICIT, mail("smtp://h:465" + to + "&tls=true", Map.of()).tls());
        assertEquals(MailNotifier.Tls.STARTTLS, mail("smtp://h:465" + to + "&tls=starttls", Map.of()).tls());
        assertEquals(MailNotifier.Tls.IMPLICIT, mail("smtp://h:2465" + to + "&tls=ssl", Map.of()).tls());
        assertEquals(MailNotifier.Tls.PLAIN, mail("smtp://h:25" + to + "&tls=false", Map.of()).tls());
        assertEquals(MailNotifier.Tls.PLAIN, mail("smtp://h:465" + to + "&tls=0", Map.of()).tls());
    }

    @Test
    void mailErrorsAreOneLineWithoutThePassword() {
        String q = "?username=u@example.com&password=MAILSECRET";
        assertEquals("--notifier smtp://:587: mail host is required (smtp://HOST:PORT/TO)",
                error("smtp://:587/to@example.com" + q, Map.of()));
        assertEquals("--notifier smtp://h%20x: not a host name or address", error("smtp://h%20x/to@example.com" + q,
                Map.of()));
        assertEquals("--notifier smtp://h:x1: invalid port: x1", error("smtp://h:x1/to@example.com" + q, Map.of()));
        assertEquals("--notifier smtp://h:70000: invalid port: 70000", error("smtp://h:70000/to@example.com" + q, Map.of()));
        assertEquals("--notifier smtp://h:587: mail to address is required (smtp://HOST:PORT/TO)",
                error("smtp://h:587/" + q, Map.of()));
        assertEquals("--notifier smtp://h:587: not a mail address: to", error("smtp://h:587/to" + q, Map.of()));
        assertEquals("--notifier smtp://h: mail from address is required (from=, MAIL_FROM, or a username that is an "
                + "address)", error("smtp://h/to@example.com?password=MAILSECRET&username=", Map.of()));
        assertEquals("--notifier smtp://h: mail password is required with a username (password= or MAIL_PASSWORD)",
                error("smtp://h/to@example.com?username=u@example.com", Map.of()));
        assertEquals("--notifier smtp://h: mail username is required with a password (username= or MAIL_USERNAME)",
                error("smtp://h/to@example.com?from=f@example.com", Map.of("MAIL_PASSWORD", "MAILSECRET")));
        assertEquals("--notifier smtp://h: unknown parameter pass (use from, subject, username, password, tls, quiet, "
                + "ca)", error("smtp://h/to@example.com?pass=MAILSECRET", Map.of()));
        assertEquals("--notifier smtp://h: tls= wants true, false, starttls or ssl",
                error("smtp://h/to@example.com" + q + "&tls=yes", Map.of()));
        assertEquals("--notifier mail://h:25: no user info in the host: use username= and password= (or MAIL_USERNAME, "
                + "MAIL_PASSWORD)", error("mail://u:MAILSECRET@h:25/to@example.com", Map.of()));
        assertEquals("--notifier smtp://h: ca: cannot read PEM certificates from /nonexistent/ca.pem",
                error("smtp://h/to@example.com" + q + "&ca=/nonexistent/ca.pem", Map.of()));
        assertEquals("--notifier smtp://h: bad percent escape", error("smtp://h/to@example.com?password=MAILSECRET%zz",
                Map.of()));
    }

    @Test
    void mailDescribesHostPortAndRecipient() {
        try (Notifications n = Notifications.create(List.of("smtp://Smtp.Example.com/ops@example.com"
                + "?username=u@example.com&password=MAILSECRET", "mail://h:465/a@example.com?from=f@example.com"),
                Map.of())) {
            assertEquals(List.of("smtp://smtp.example.com:587/ops@example.com", "smtp://h:465/a@example.com"),
                    n.describe());
            assertFalse(n.toString().contains("MAILSECRET"), n.toString());
        }
    }
}
