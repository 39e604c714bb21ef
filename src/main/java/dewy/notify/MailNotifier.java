package dewy.notify;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLSocketFactory;

/**
 * {@code smtp://HOST:PORT/TO?from=&subject=&username=&password=&tls=&quiet=&ca=} (also {@code mail://}): one
 * plain-text mail per event, Go dewy's subject and body. This class names no Jakarta Mail type: it is what
 * {@link NotifierUrls} builds and {@link Notifications} checks for secrets, so a dewy with a Slack notifier, or none,
 * never loads the mail library. {@link SmtpTransport} does the SMTP, built on the first event sent.
 */
final class MailNotifier implements Notifier {
    /** Go dewy's subject when {@code subject=} is not given. */
    static final String DEFAULT_SUBJECT = "Dewy Notification";
    static final String FOOTER = "--\nDewy: https://github.com/linyows/dewy";

    /** How the connection is protected. */
    enum Tls {
        /** Plain SMTP, then STARTTLS, which the server must offer: nothing, the password least, goes in clear. */
        STARTTLS,
        /** TLS from the first byte (SMTPS, port 465). */
        IMPLICIT,
        /** {@code tls=false}: plain SMTP, STARTTLS never tried. */
        PLAIN
    }

    /** What one mail notifier was configured with; {@code username} and {@code password} are null without AUTH. */
    record Settings(String host, int port, String to, String from, String subject, String username, String password,
            Tls tls, boolean quiet, SSLSocketFactory trust, Duration timeout) {
        @Override
        public String toString() { // never the password
            return "smtp://" + host + ":" + port + "/" + to;
        }
    }

    private final Settings settings;
    private SmtpTransport transport; // built on this notifier's thread, at its first mail

    MailNotifier(Settings settings) {
        this.settings = settings;
    }

    Settings settings() {
        return settings;
    }

    @Override
    public void send(Event e, String host, Instant time) throws IOException, InterruptedException {
        if (settings.quiet() && SlackNotifier.quietDrops(e)) {
            return;
        }
        if (transport == null) {
            transport = new SmtpTransport(settings);
        }
        transport.send(subject(e, settings.subject()), body(e, host), host, time, e.kind());
    }

    /**
     * Go dewy's: the configured subject, except for a hook's verdict, which is
     * {@code Dewy Before Deploy Hook SUCCESS} (or {@code After Deploy}, {@code FAILED}) as Go's SendHookResult says.
     */
    static String subject(Event e, String configured) {
        if (Event.HOOK.equals(e.kind())) {
            String m = e.message();
            String type = m.startsWith("before-deploy-hook") ? "Before Deploy"
                    : m.startsWith("after-deploy-hook") ? "After Deploy" : null;
            if (type != null) {
                return "Dewy " + type + " Hook " + (e.error() ? "FAILED" : "SUCCESS");
            }
        }
        return configured;
    }

    /** Go dewy's formatMessage: the message, then host, user and working directory, then its signature. */
    static String body(Event e, String host) {
        return e.message() + "\n\n"
                + "Host: " + host + "\n"
                + "User: " + System.getProperty("user.name", "unknown") + "\n"
                + "Working dir: " + System.getProperty("user.dir", "unknown") + "\n\n"
                + FOOTER;
    }

    /** What Notifications must never let into a log line. */
    List<String> secrets() {
        return settings.password() == null ? List.of() : List.of(settings.password());
    }

    /** {@code smtp://host:port/to}: the recipient is no secret, and says which of two mail notifiers is meant. */
    @Override
    public String describe() {
        return settings.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
