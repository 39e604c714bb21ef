package dewy.notify;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.time.Instant;
import java.util.Date;
import java.util.Properties;

/**
 * The only class that touches Jakarta Mail (Eclipse Angus): one SMTP connection per mail, as Go dewy dials one per
 * message, each step (connect, every read, every write) bounded by the notifier timeout. Built by
 * {@link MailNotifier} on its sender thread at its first mail, so start-up never loads the library.
 */
final class SmtpTransport {
    private final MailNotifier.Settings s;
    private final InternetAddress from;
    private final InternetAddress[] to;

    SmtpTransport(MailNotifier.Settings settings) throws IOException {
        this.s = settings;
        try {
            this.from = new InternetAddress(settings.from(), true);
            this.to = InternetAddress.parse(settings.to(), true);
        } catch (MessagingException e) {
            throw new IOException("smtp: bad address: " + e.getMessage()); // the URL parser checked them already
        }
    }

    /** The session for one mail; {@code ehlo} is the name dewy gives itself in EHLO (its host). */
    Properties properties(String ehlo) {
        Properties p = new Properties();
        String ms = Long.toString(s.timeout().toMillis());
        p.put("mail.smtp.host", s.host());
        p.put("mail.smtp.port", Integer.toString(s.port()));
        p.put("mail.smtp.connectiontimeout", ms);
        p.put("mail.smtp.timeout", ms);
        p.put("mail.smtp.writetimeout", ms);
        p.put("mail.smtp.localhost", ehlo);
        p.put("mail.smtp.from", from.getAddress());
        p.put("mail.from", from.getAddress()); // the Message-ID's domain, instead of a look-up of the local host
        p.put("mail.smtp.auth", Boolean.toString(s.username() != null));
        p.put("mail.smtp.ssl.checkserveridentity", "true");
        p.put("mail.smtp.ssl.protocols", "TLSv1.3 TLSv1.2"); // Go dewy's MinVersion TLS 1.2
        switch (s.tls()) {
            case STARTTLS -> {
                p.put("mail.smtp.starttls.enable", "true");
                p.put("mail.smtp.starttls.required", "true");
            }
            case IMPLICIT -> p.put("mail.smtp.ssl.enable", "true");
            case PLAIN -> p.put("mail.smtp.starttls.enable", "false");
        }
        if (s.trust() != null) {
            p.put("mail.smtp.ssl.socketFactory", s.trust()); // ca=FILE: these CAs instead of the JVM's
        }
        return p;
    }

    void send(String subject, String body, String host, Instant time, String kind) throws IOException {
        String ehlo = host != null && host.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,252}") ? host : "localhost";
        Session session = Session.getInstance(properties(ehlo));
        try {
            MimeMessage m = new MimeMessage(session);
            m.setFrom(from);
            m.setRecipients(Message.RecipientType.TO, to);
            m.setSubject(subject, "UTF-8");
            m.setSentDate(Date.from(time));
            m.setHeader("X-Dewy-Event", kind);
            m.setText(body, "UTF-8");
            try (Transport t = session.getTransport("smtp")) {
                t.connect(s.host(), s.port(), s.username(), s.password());
                t.sendMessage(m, to);
            }
        } catch (MessagingException e) {
            throw new IOException("smtp " + s.host() + ":" + s.port() + ": " + chain(e));
        }
    }

    /** The exception and its causes as one line (Angus puts the cause, e.g. "Connection refused", in the chain). */
    private static String chain(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null && b.length() < 300; c = c.getCause() == c ? null : c.getCause()) {
            String msg = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
            if (b.indexOf(msg) < 0) {
                b.append(b.length() == 0 ? "" : ": ").append(msg);
            }
        }
        return b.toString().replaceAll("\\s+", " ").strip();
    }
}
