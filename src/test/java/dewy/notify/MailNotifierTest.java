package dewy.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The smtp:// notifier against a real SMTP server (aiosmtpd, {@link SmtpSink}) on 127.0.0.1. */
class MailNotifierTest {
    private static final String PASSWORD = "pw-MAILSECRET-42";
    private static final Instant TIME = Instant.parse("2026-12-02T10:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path certDir;
    private static Path cert;

    @TempDir
    Path tmp;

    @BeforeAll
    static void certificate() throws Exception {
        cert = SmtpSink.selfSigned(certDir);
    }

    private static MailNotifier parse(String url, Map<String, String> env) {
        return (MailNotifier) NotifierUrls.parse(url, env, new Http(Duration.ofSeconds(5)));
    }

    private static String expectedBody(String message) {
        return message + "\n\nHost: web-1\nUser: " + System.getProperty("user.name") + "\nWorking dir: "
                + System.getProperty("user.dir") + "\n\n--\nDewy: https://github.com/linyows/dewy";
    }

    @Test
    void startTlsByDefaultWithGoDewysSubjectAndBody() throws Exception {
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.STARTTLS, cert, null)) {
            MailNotifier n = parse("smtp://127.0.0.1:" + sink.port() + "/ops@example.com?from=dewy@example.com&ca="
                    + cert, Map.of());
            n.send(Event.info(Event.DOWNLOADED, "Downloaded artifact for `v1.2.4`", "v1.2.4"), "web-1", TIME);
            List<SmtpSink.Mail> mails = sink.await(1, WAIT);
            assertEquals(1, mails.size());
            SmtpSink.Mail m = mails.get(0);
            assertTrue(m.starttls());
            assertEquals("starttls", m.tls());
            assertNull(m.login());
            assertEquals("web-1", m.ehlo());
            assertEquals("dewy@example.com", m.mailFrom());
            assertEquals(List.of("ops@example.com"), m.rcptTos());
            assertEquals("Dewy Notification", m.subject());
            assertEquals("dewy@example.com", m.header("From"));
            assertEquals("ops@example.com", m.header("To"));
            assertEquals(Event.DOWNLOADED, m.header("X-Dewy-Event"));
            assertEquals(TIME, m.message().getSentDate().toInstant());
            assertEquals(expectedBody("Downloaded artifact for `v1.2.4`"), m.body());
        }
    }

    @Test
    void implicitTlsWithTlsSsl() throws Exception {
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.IMPLICIT, cert, null)) {
            parse("mail://127.0.0.1:" + sink.port() + "/ops@example.com?from=dewy@example.com&tls=ssl&subject=App+prod"
                    + "&ca=" + cert, Map.of()).send(Event.info(Event.STARTED, "started", null), "web-1", TIME);
            SmtpSink.Mail m = sink.await(1, WAIT).get(0);
            assertEquals("implicit", m.tls());
            assertFalse(m.starttls());
            assertEquals("App prod", m.subject());
        }
    }

    @Test
    void tlsFalseIsPlainEvenWhenTheServerOffersStartTls() throws Exception {
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.STARTTLS, cert, "dewy@example.com:" + PASSWORD)) {
            parse("smtp://127.0.0.1:" + sink.port() + "/ops@example.com?tls=false&username=dewy@example.com",
                    Map.of("MAIL_PASSWORD", PASSWORD)).send(Event.info(Event.STARTED, "started", null), "web-1", TIME);
            SmtpSink.Mail m = sink.await(1, WAIT).get(0);
            assertFalse(m.starttls(), "tls=false must not send STARTTLS");
            assertEquals("none", m.tls());
            assertEquals("dewy@example.com", m.login());
        }
    }

    /** What sending to {@code sink} with the default TLS and the JVM's trust fails with. */
    private static IOException refused(SmtpSink sink) {
        MailNotifier n = parse("smtp://127.0.0.1:" + sink.port() + "/ops@example.com?from=dewy@example.com", Map.of());
        return assertThrows(IOException.class, () -> n.send(Event.info(Event.STARTED, "started", null), "web-1", TIME));
    }

    @Test
    void startTlsIsRequiredUnlessTlsFalse() throws Exception {
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.PLAIN, null, null)) {
            IOException e = refused(sink);
            assertTrue(e.getMessage().startsWith("smtp 127.0.0.1:" + sink.port() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("STARTTLS"), e.getMessage());
            assertEquals(0, sink.mails().size());
        }
    }

    @Test
    void anUntrustedCertificateIsRefused() throws Exception {
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.STARTTLS, cert, null)) {
            IOException e = refused(sink);
            assertTrue(e.getMessage().contains("certification path") || e.getMessage().contains("PKIX"),
                    e.getMessage());
            assertEquals(0, sink.mails().size());
        }
    }

    @Test
    void aTrustedCertificateForAnotherHostIsRefused() throws Exception {
        Path other = SmtpSink.selfSigned(Files.createDirectories(tmp.resolve("other")), "other.test",
                "DNS:other.test");
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.IMPLICIT, other, null)) {
            MailNotifier n = parse("smtp://127.0.0.1:" + sink.port() + "/ops@example.com?from=dewy@example.com"
                    + "&tls=ssl&ca=" + other, Map.of());
            IOException e = assertThrows(IOException.class,
                    () -> n.send(Event.info(Event.STARTED, "started", null), "web-1", TIME));
            assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
            assertEquals(0, sink.mails().size());
        }
    }

    @Test
    void authWithTheEnvironmentsUsernameAndPassword() throws Exception {
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.STARTTLS, cert, "dewy@example.com:" + PASSWORD)) {
            Map<String, String> env = Map.of("MAIL_USERNAME", "dewy@example.com", "MAIL_PASSWORD", PASSWORD);
            parse("smtp://127.0.0.1:" + sink.port() + "/ops@example.com?ca=" + cert, env)
                    .send(Event.info(Event.STARTED, "started", null), "web-1", TIME);
            SmtpSink.Mail m = sink.await(1, WAIT).get(0);
            assertEquals("dewy@example.com", m.login());
            assertEquals("dewy@example.com", m.mailFrom(), "from is the username when neither from= nor MAIL_FROM");
            assertTrue(m.starttls());
        }
    }

    @Test
    void aRefusedPasswordIsAFailureThatNeverShowsIt() throws Exception {
        CapturedLog log = new CapturedLog();
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.STARTTLS, cert, "dewy@example.com:other");
                Notifications n = Notifications.create(List.of("smtp://127.0.0.1:" + sink.port()
                        + "/ops@example.com?username=dewy@example.com&password=" + PASSWORD + "&ca=" + cert),
                        Map.of("HOSTNAME", "web-1"), log, Duration.ofSeconds(5))) {
            n.publish(Event.error(Event.ERROR, "download failed", "v9"));
            assertTrue(n.flush(WAIT));
            List<String> failed = log.matching("WARN notifier failed");
            assertEquals(1, failed.size(), log.all());
            assertTrue(failed.get(0).contains("535"), failed.get(0)); // the server's answer is in the line
            assertFalse(log.all().contains("MAILSECRET"), log.all());
            assertFalse(String.join(",", n.describe()).contains("MAILSECRET"));
            assertEquals(List.of("smtp://127.0.0.1:" + sink.port() + "/ops@example.com"), n.describe());
            assertEquals(0, sink.mails().size());
        }
    }

    @Test
    void everyEventArrivesInOrderWithItsSubject() throws Exception {
        List<Event> events = List.of(
                Event.info(Event.STARTED, "Automatic shipping started by *Dewy* (v0.1.0: server) for app", null),
                Event.info(Event.DOWNLOADED, "Downloaded artifact for `v1.2.4` (app.tar.gz, 12 bytes)", "v1.2.4"),
                Event.info(Event.HOOK, "before-deploy-hook succeeded for v1.2.4", "v1.2.4"),
                Event.error(Event.HOOK, "after-deploy-hook failed with 3; current is back on v1.2.3, v1.2.4 not "
                        + "started", "v1.2.4"),
                Event.info(Event.SERVER_STARTED, "Server started for `v1.2.3` (generation 1, pid 7)", "v1.2.3"),
                Event.info(Event.SERVER_RESTARTED, "Server restarted for `v1.2.4` (deploy, generation 2, pid 9)",
                        "v1.2.4"),
                Event.error(Event.ROLLBACK, "v1.2.5 rolled back to v1.2.4: not ready", "v1.2.5"),
                Event.info(Event.DEPLOYED, "Assets deployed for `v1.2.4` (previous v1.2.3)", "v1.2.4"),
                Event.error(Event.ERROR, "registry check failed: HTTP 500", null),
                Event.info(Event.STOPPING, "Stop receiving by `SIGTERM` signal", "v1.2.4"));
        CapturedLog log = new CapturedLog();
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.STARTTLS, cert, null);
                Notifications n = Notifications.create(List.of("smtp://127.0.0.1:" + sink.port()
                        + "/ops@example.com,dev@example.com?from=dewy@example.com&ca=" + cert),
                        Map.of("HOSTNAME", "web-1"), log, Duration.ofSeconds(5))) {
            events.forEach(n::publish);
            assertTrue(n.flush(Duration.ofSeconds(60)));
            List<SmtpSink.Mail> mails = sink.await(events.size(), WAIT);
            assertEquals(events.size(), mails.size(), log.all());
            List<String> subjects = new ArrayList<>();
            for (int i = 0; i < events.size(); i++) {
                SmtpSink.Mail m = mails.get(i);
                assertEquals(events.get(i).kind(), m.header("X-Dewy-Event"));
                assertEquals(expectedBody(events.get(i).message()), m.body());
                assertEquals(List.of("ops@example.com", "dev@example.com"), m.rcptTos());
                subjects.add(m.subject());
            }
            assertEquals(List.of("Dewy Notification", "Dewy Notification", "Dewy Before Deploy Hook SUCCESS",
                    "Dewy After Deploy Hook FAILED", "Dewy Notification", "Dewy Notification", "Dewy Notification",
                    "Dewy Notification", "Dewy Notification", "Dewy Notification"), subjects);
        }
    }

    @Test
    void quietDropsStartDownloadStopAndSuccessfulHooks() throws Exception {
        try (SmtpSink sink = SmtpSink.start(tmp, SmtpSink.Mode.STARTTLS, cert, null)) {
            MailNotifier n = parse("smtp://127.0.0.1:" + sink.port() + "/ops@example.com?from=dewy@example.com"
                    + "&quiet=true&ca=" + cert, Map.of());
            n.send(Event.info(Event.STARTED, "started", null), "web-1", TIME);
            n.send(Event.info(Event.DOWNLOADED, "downloaded", "v1"), "web-1", TIME);
            n.send(Event.info(Event.HOOK, "before-deploy-hook succeeded for v1", "v1"), "web-1", TIME);
            n.send(Event.info(Event.STOPPING, "stop", "v1"), "web-1", TIME);
            n.send(Event.info(Event.SERVER_RESTARTED, "restarted", "v1"), "web-1", TIME);
            List<SmtpSink.Mail> mails = sink.await(1, WAIT);
            assertEquals(1, mails.size());
            assertEquals(Event.SERVER_RESTARTED, mails.get(0).header("X-Dewy-Event"));
        }
    }

    @Test
    void aDownServerIsANotifierFailureThatNeverHoldsUpTheCaller() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        CapturedLog log = new CapturedLog();
        Map<String, String> env = new HashMap<>(Map.of("HOSTNAME", "web-1", "MAIL_USERNAME", "dewy@example.com",
                "MAIL_PASSWORD", PASSWORD));
        try (Notifications n = Notifications.create(List.of("smtp://127.0.0.1:" + closed + "/ops@example.com"), env,
                log, Duration.ofSeconds(2))) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                n.publish(Event.info(Event.SERVER_RESTARTED, "restart " + i, "v1"));
            }
            assertTrue(System.nanoTime() - t0 < Duration.ofMillis(500).toNanos(), "publish must not wait for SMTP");
            assertTrue(n.flush(WAIT));
            List<String> failed = log.matching("WARN notifier failed");
            assertEquals(5, failed.size(), log.all());
            assertTrue(failed.get(0).contains("notifier=smtp://127.0.0.1:" + closed + "/ops@example.com"), failed.get(0));
            assertTrue(failed.get(0).contains("Connection refused"), failed.get(0));
            assertFalse(log.all().contains("MAILSECRET"), log.all());
        }
    }

    @Test
    void aSilentServerIsCutOffAtTheTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            MailNotifier n = (MailNotifier) NotifierUrls.parse("smtp://127.0.0.1:" + silent.getLocalPort()
                    + "/ops@example.com?from=dewy@example.com", Map.of(), new Http(Duration.ofSeconds(1)));
            long t0 = System.nanoTime();
            IOException e = assertThrows(IOException.class,
                    () -> n.send(Event.info(Event.STARTED, "started", null), "web-1", TIME));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 900 && ms < 4000, ms + " ms: " + e.getMessage());
        }
    }
}
