package dewy.notify;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real SMTP server on 127.0.0.1 for the mail tests: src/test/python/smtp_sink.py on Debian's aiosmtpd, which writes
 * each message it accepts, and what it saw of the session (STARTTLS, TLS, the AUTH login), to a directory.
 */
public final class SmtpSink implements AutoCloseable {
    static final String SCRIPT = Path.of("src/test/python/smtp_sink.py").toAbsolutePath().toString();

    /** What the server offers: no TLS at all, STARTTLS (offered, not required), or TLS from the first byte. */
    public enum Mode { PLAIN, STARTTLS, IMPLICIT }

    /** One accepted message, and what the server saw of the session that sent it. */
    public record Mail(String mailFrom, List<String> rcptTos, String data, boolean starttls, String tls, String login,
            String ehlo) {
        public MimeMessage message() throws Exception {
            return new MimeMessage(Session.getInstance(new Properties()),
                    new ByteArrayInputStream(data.getBytes(StandardCharsets.UTF_8)));
        }

        public String subject() throws Exception {
            return message().getSubject();
        }

        /** The text body with CRLF as LF, without the line end SMTP adds. */
        public String body() throws Exception {
            String b = message().getContent().toString().replace("\r\n", "\n");
            return b.endsWith("\n") ? b.substring(0, b.length() - 1) : b;
        }

        public String header(String name) throws Exception {
            return message().getHeader(name, ",");
        }
    }

    private final Process process;
    private final Path dir;
    private final int port;

    private SmtpSink(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /**
     * Starts a server that keeps its messages in {@code dir/mails}; {@code cert} (from {@link #selfSigned}) is needed
     * for STARTTLS and IMPLICIT; {@code auth} is {@code user:password} (AUTH required) or null (no AUTH).
     */
    public static SmtpSink start(Path dir, Mode mode, Path cert, String auth) throws IOException {
        Path mails = Files.createDirectories(dir.resolve("mails"));
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", SCRIPT, "--dir", mails.toString()));
        if (mode != Mode.PLAIN) {
            cmd.addAll(List.of("--cert", cert.toString(), "--key", cert.resolveSibling("key.pem").toString()));
        }
        if (mode == Mode.IMPLICIT) {
            cmd.add("--implicit");
        }
        if (auth != null) {
            cmd.addAll(List.of("--auth", auth));
        }
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("smtp-sink.err").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine(); // READY <port>, or null when it died (the reason is in smtp-sink.err)
        if (line == null || !line.startsWith("READY ")) {
            p.destroyForcibly();
            throw new IOException("smtp_sink.py did not start: " + Files.readString(dir.resolve("smtp-sink.err")));
        }
        return new SmtpSink(p, mails, Integer.parseInt(line.substring(6).strip()));
    }

    /** A self-signed certificate for 127.0.0.1 and localhost: dir/cert.pem (the one to trust) and dir/key.pem. */
    public static Path selfSigned(Path dir) throws IOException, InterruptedException {
        return selfSigned(dir, "127.0.0.1", "IP:127.0.0.1,DNS:localhost");
    }

    /** A self-signed certificate for {@code cn} and the subjectAltNames {@code san}, e.g. {@code DNS:other.test}. */
    public static Path selfSigned(Path dir, String cn, String san) throws IOException, InterruptedException {
        Path cert = dir.resolve("cert.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-keyout", dir.resolve("key.pem").toString(), "-out", cert.toString(), "-subj", "/CN=" + cn,
                "-addext", "subjectAltName=" + san)
                .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.out").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("openssl failed: " + Files.readString(dir.resolve("openssl.out")));
        }
        return cert;
    }

    public int port() {
        return port;
    }

    /** The messages accepted so far, oldest first. */
    public List<Mail> mails() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        List<Mail> l = new ArrayList<>();
        for (Path f : files) {
            JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
            List<String> rcpt = new ArrayList<>();
            o.getAsJsonArray("rcpt_tos").forEach(e -> rcpt.add(e.getAsString()));
            l.add(new Mail(o.get("mail_from").getAsString(), rcpt, o.get("data").getAsString(),
                    o.get("starttls").getAsBoolean(), o.get("tls").getAsString(), text(o.get("login")),
                    text(o.get("ehlo"))));
        }
        return l;
    }

    /** Waits until at least {@code n} messages arrived (at most {@code bound}) and returns them all. */
    public List<Mail> await(int n, Duration bound) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        List<Mail> l = mails();
        while (l.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(50);
            l = mails();
        }
        return l;
    }

    private static String text(JsonElement e) {
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.getOutputStream().close(); // the sink ends when its stdin closes
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
