package dewy.pid1;

import static dewy.pid1.DeployFixtures.awaitServing;
import static dewy.pid1.DeployFixtures.publishFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.deploy.ReleaseFixtures;
import dewy.notify.SmtpSink;
import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smtp:// notifier end to end, dewy as PID 1: a real SMTP server (aiosmtpd, STARTTLS with a self-signed
 * certificate that dewy trusts through the JVM's truststore in DEWY_JAVA_OPTS, AUTH from MAIL_USERNAME and
 * MAIL_PASSWORD) gets one mail per event of two deploys, a refused one, a USR1 restart and the stop. A dead SMTP
 * server costs the application nothing. Jakarta Mail is loaded only with a mail notifier.
 */
class MailNotifyIT {
    private static final String PASSWORD = "pw-MAILSECRET-7";
    private static final String USER = "dewy@example.com";

    @TempDir
    Path tmp;

    private Path workdir() {
        return tmp.resolve("work");
    }

    private List<String> args(Path registry, int port, String... more) {
        List<String> flags = new ArrayList<>(List.of("--require-checksum", "--before-deploy-hook", "true"));
        flags.addAll(List.of(more));
        return DeployFixtures.args("file://" + registry, workdir(), port, flags.toArray(String[]::new));
    }

    /** A PKCS12 truststore holding {@code cert}, and the options that make dewy's JVM use it (and log class loads). */
    private String javaOptions(Path cert) throws Exception {
        Path store = tmp.resolve("trust.p12");
        Process p = new ProcessBuilder(Path.of(Dewy.JAVA).resolveSibling("keytool").toString(), "-importcert",
                "-noprompt", "-alias", "sink", "-file", cert.toString(), "-keystore", store.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit").redirectErrorStream(true)
                .redirectOutput(tmp.resolve("keytool.out").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(tmp.resolve("keytool.out")));
        return "-Djavax.net.ssl.trustStore=" + store + " -Djavax.net.ssl.trustStorePassword=changeit"
                + " -Djavax.net.ssl.trustStoreType=PKCS12 " + classLog();
    }

    private String classLog() {
        return "-Xlog:class+load=info:file=" + tmp.resolve("classes.log");
    }

    private boolean loadedJakarta() throws IOException {
        return Files.readString(tmp.resolve("classes.log")).contains(" jakarta.mail.");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    @Test
    void everyEventOfTwoDeploysARestartAndTheStopArrivesByMail() throws Exception {
        int port = StarterIT.freePort();
        Path registry = Files.createDirectories(tmp.resolve("registry"));
        Path sinkDir = Files.createDirectories(tmp.resolve("sink"));
        Path cert = SmtpSink.selfSigned(sinkDir);
        try (SmtpSink sink = SmtpSink.start(sinkDir, SmtpSink.Mode.STARTTLS, cert, USER + ":" + PASSWORD)) {
            Map<String, String> env = Map.of("MAIL_USERNAME", USER, "MAIL_PASSWORD", PASSWORD, "HOSTNAME", "web-1",
                    "DEWY_JAVA_OPTS", javaOptions(cert));
            String url = "smtp://127.0.0.1:" + sink.port() + "/ops@example.com?subject=app+prod";
            try (Dewy dewy = Dewy.start(Mode.PID1, tmp, env, args(registry, port, "--notifier", url)
                    .toArray(String[]::new))) {
                dewy.awaitLog("msg=\"no release yet: the application starts after the first deploy\"", 1,
                        Duration.ofSeconds(10));
                publishFile(registry, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"), true);
                awaitServing(port, "v1.0.0", dewy);
                publishFile(registry, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"), true);
                awaitServing(port, "v1.1.0", dewy);
                publishFile(registry, "v1.2.0", ReleaseFixtures.appTarGz("v1.2.0"), false); // refused: no checksum
                dewy.awaitLog("event=error", 1, Duration.ofSeconds(15));
                deleteTree(registry.resolve("v1.2.0")); // its error may repeat (up to 3 mails) until it is gone
                Dewy.sleep(1000);
                dewy.signal(Signals.SIGUSR1);
                dewy.awaitLog("event=server-restarted", 2, Duration.ofSeconds(20));
                Dewy.await("the old generation gone", Duration.ofSeconds(20), () -> dewy.children().size() == 1);
                int app = dewy.app();
                String environ = Dewy.read(Path.of("/proc", Integer.toString(app), "environ"));
                assertFalse(environ.contains("MAIL_PASSWORD") || environ.contains("MAIL_USERNAME"),
                        "MAIL_* are dewy's, not the application's");
                dewy.signal(Signals.SIGTERM);
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(30)));
                assertFalse(dewy.log().contains("MAILSECRET"), "the password in dewy's log");
                assertEquals(0, dewy.countLog("notifier failed"), dewy.log());
            }
            List<String> seen = new ArrayList<>();
            for (SmtpSink.Mail m : sink.mails()) { // all of them: dewy drains its notifiers before it exits
                if (m.header("X-Dewy-Event").equals("error") && seen.get(seen.size() - 1).startsWith("error")) {
                    continue; // one refused release, told up to 3 times
                }
                assertTrue(m.starttls(), "STARTTLS");
                assertEquals(USER, m.login());
                assertEquals(USER, m.mailFrom());
                assertEquals(List.of("ops@example.com"), m.rcptTos());
                String body = m.body();
                assertTrue(body.contains("\n\nHost: web-1\nUser: "), body);
                assertTrue(body.endsWith("\n\n--\nDewy: https://github.com/linyows/dewy"), body);
                seen.add(m.header("X-Dewy-Event") + " | " + m.subject() + " | " + body.substring(0, body.indexOf("\n\n")));
            }
            String all = String.join("\n", seen);
            assertEquals(List.of("started", "downloaded", "hook", "server-started", "downloaded", "hook",
                    "server-restarted", "error", "server-restarted", "stopping"),
                    seen.stream().map(s -> s.substring(0, s.indexOf(" |"))).toList(), all);
            assertTrue(seen.get(0).startsWith("started | app prod | Automatic shipping started by *Dewy*"), all);
            assertTrue(seen.get(1).startsWith("downloaded | app prod | Downloaded artifact for `v1.0.0`"), all);
            assertEquals("hook | Dewy Before Deploy Hook SUCCESS | before-deploy-hook succeeded for v1.0.0",
                    seen.get(2));
            assertTrue(seen.get(3).startsWith("server-started | app prod | Server started for `v1.0.0`"), all);
            assertTrue(seen.get(6).startsWith("server-restarted | app prod | Server restarted for `v1.1.0` (deploy"),
                    all);
            assertTrue(seen.get(8).startsWith("server-restarted | app prod | Restarted receiving by `SIGUSR1` signal"),
                    all);
            assertEquals("stopping | app prod | Stop receiving by `SIGTERM` signal", seen.get(9));
        }
        assertTrue(loadedJakarta(), "a mail notifier loads Jakarta Mail");
    }

    @Test
    void aBadMailUrlExits2WithOneLineWithoutThePassword() throws Exception {
        Process p = new ProcessBuilder(Dewy.TARGET.resolve("dewy").toString(), "server", "--notifier",
                "smtp://smtp.example.com:587/?username=" + USER + "&password=" + PASSWORD, "--", "/bin/true")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains("--notifier smtp://smtp.example.com:587: mail to address is required"), err);
        assertFalse(err.contains("MAILSECRET"), err);
    }

    @Test
    void aDeadSmtpServerNeverDisturbsTheApplicationNorLoadsJakartaAtStartUp() throws Exception {
        int port = StarterIT.freePort();
        Path registry = Files.createDirectories(tmp.resolve("registry"));
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        publishFile(registry, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"), true);
        Map<String, String> env = Map.of("MAIL_USERNAME", USER, "MAIL_PASSWORD", PASSWORD, "DEWY_JAVA_OPTS",
                classLog());
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, env, args(registry, port, "--notifier",
                "smtp://127.0.0.1:" + closed + "/ops@example.com").toArray(String[]::new))) {
            awaitServing(port, "v1.0.0", dewy);
            publishFile(registry, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"), true);
            awaitServing(port, "v1.1.0", dewy);
            dewy.awaitLog("msg=\"notifier failed\" notifier=smtp://127.0.0.1:" + closed + "/ops@example.com", 3,
                    Duration.ofSeconds(20));
            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(30)));
            assertTrue(dewy.log().contains("Connection refused"), dewy.log());
            assertFalse(dewy.log().contains("MAILSECRET"), dewy.log());
        }
        assertTrue(loadedJakarta(), "the mail notifier did load it, on its own thread");

        // The same dewy with no mail notifier never loads a Jakarta class.
        Files.delete(tmp.resolve("classes.log"));
        Files.delete(tmp.resolve("dewy.err"));
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, Map.of("DEWY_JAVA_OPTS", classLog()),
                args(registry, port).toArray(String[]::new))) {
            awaitServing(port, "v1.1.0", dewy);
            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(30)));
        }
        assertFalse(loadedJakarta(), "no mail notifier, no Jakarta Mail");
    }
}
