package dewy.notify;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLSocketFactory;

/**
 * Parses one {@code --notifier} URL. Error messages quote the URL only as {@link #safeForm}: scheme and host, never
 * the path, query or user info, which for a webhook are the secret.
 */
final class NotifierUrls {
    private static final String SLACK = "slack://";
    private static final String WEBHOOK = "webhook+";
    private static final String SMTP = "smtp://";
    private static final String MAIL = "mail://";
    static final int SMTP_PORT = 587;
    static final int SMTPS_PORT = 465;

    private NotifierUrls() {
    }

    static Notifier parse(String url, Map<String, String> env, Http http) {
        String u = url == null ? "" : url.strip();
        if (u.isEmpty()) {
            throw new IllegalArgumentException("--notifier: the URL is empty");
        }
        String lower = u.toLowerCase(Locale.ROOT);
        if (lower.startsWith(SLACK)) {
            return slack(u, env, http);
        }
        if (lower.startsWith(WEBHOOK)) {
            return webhook(u, http);
        }
        if (lower.startsWith(SMTP) || lower.startsWith(MAIL)) {
            return mail(u, env, http.timeout());
        }
        throw bad(u, "unknown scheme (use slack://CHANNEL, webhook+https://URL or smtp://HOST:PORT/TO)");
    }

    private static Notifier slack(String u, Map<String, String> env, Http http) {
        String rest = u.substring(SLACK.length());
        int q = rest.indexOf('?');
        String rawChannel = q < 0 ? rest : rest.substring(0, q);
        String shown = SLACK + rawChannel; // a channel is no secret; safeForm would cut a "#deploys" away
        String channel = decode(shown, rawChannel);
        if (channel.isEmpty()) {
            throw badAs(shown, "the channel is empty (use slack://CHANNEL)");
        }
        if (channel.contains("/") || channel.chars().anyMatch(Character::isWhitespace)) {
            throw badAs(shown, "not a channel name or ID: " + channel);
        }
        String title = "dewy";
        String link = null;
        boolean thread = false;
        boolean quiet = false;
        for (String[] kv : params(shown, q < 0 ? "" : rest.substring(q + 1))) {
            String key = kv[0];
            String value = kv[1];
            switch (key) {
                case "title" -> title = value.isBlank() ? "dewy" : value;
                case "url" -> link = checkLink(shown, value);
                case "thread" -> thread = bool(shown, key, value);
                case "quiet" -> quiet = bool(shown, key, value);
                default -> throw badAs(shown, "unknown parameter " + key + " (use title, url, thread, quiet)");
            }
        }
        String token = env.get("SLACK_TOKEN");
        if (token == null || token.isBlank()) {
            throw badAs(shown, "SLACK_TOKEN is not set");
        }
        String api = env.getOrDefault("SLACK_API_URL", "");
        if (api.isBlank()) {
            api = SlackNotifier.DEFAULT_API;
        } else {
            api = api.strip();
            while (api.endsWith("/")) {
                api = api.substring(0, api.length() - 1);
            }
            if (!isHttpUrl(api)) {
                throw badAs(shown, "SLACK_API_URL is not an http(s) URL");
            }
        }
        return new SlackNotifier(http, api, token.strip(), channel, title, link, thread, quiet);
    }

    /** A query's {@code key=value} pairs in order, values percent-decoded; empty pairs skipped. */
    private static List<String[]> params(String shown, String query) {
        List<String[]> l = new ArrayList<>();
        for (String pair : query.split("&")) {
            if (!pair.isEmpty()) {
                int eq = pair.indexOf('=');
                l.add(new String[] {eq < 0 ? pair : pair.substring(0, eq),
                        eq < 0 ? "" : decode(shown, pair.substring(eq + 1))});
            }
        }
        return l;
    }

    private static boolean bool(String shown, String key, String value) {
        return switch (value) {
            case "true", "True", "TRUE", "t", "T", "1" -> true; // Go's strconv.ParseBool, as Go dewy reads them
            case "false", "False", "FALSE", "f", "F", "0" -> false;
            default -> throw badAs(shown, key + "= wants true or false");
        };
    }

    private static Notifier webhook(String u, Http http) {
        URI target;
        try {
            target = new URI(u.substring(WEBHOOK.length()));
        } catch (URISyntaxException e) {
            throw bad(u, "not a valid URL");
        }
        String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw bad(u, "a webhook URL must be http or https (webhook+https://URL)");
        }
        if (target.getHost() == null || target.getHost().isEmpty()) {
            throw bad(u, "the webhook URL has no host");
        }
        return new WebhookNotifier(http, target);
    }

    /**
     * {@code smtp://HOST[:PORT]/TO?from=&subject=&username=&password=&tls=&quiet=&ca=}, Go dewy's URL. Every error
     * names the URL by scheme, host and port only: the query holds the password.
     */
    private static Notifier mail(String u, Map<String, String> env, Duration timeout) {
        String rest = u.substring(u.indexOf("://") + 3);
        int q = rest.indexOf('?');
        String beforeQuery = q < 0 ? rest : rest.substring(0, q);
        int slash = beforeQuery.indexOf('/');
        String authority = slash < 0 ? beforeQuery : beforeQuery.substring(0, slash);
        if (authority.contains("@")) {
            throw bad(u, "no user info in the host: use username= and password= (or MAIL_USERNAME, MAIL_PASSWORD)");
        }
        String host = authority;
        String portText = null;
        int colon = authority.lastIndexOf(':');
        if (colon >= 0 && colon > authority.lastIndexOf(']')) {
            host = authority.substring(0, colon);
            portText = authority.substring(colon + 1);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw bad(u, "mail host is required (smtp://HOST:PORT/TO)");
        }
        if (!host.matches("[A-Za-z0-9._:-]+")) {
            throw bad(u, "not a host name or address");
        }
        int port = SMTP_PORT;
        if (portText != null) {
            port = portText.matches("[0-9]{1,5}") ? Integer.parseInt(portText) : 0;
            if (port < 1 || port > 65535) {
                throw bad(u, "invalid port: " + portText);
            }
        }
        String shown = safeForm(u);
        String to = slash < 0 ? "" : decode(shown, beforeQuery.substring(slash + 1));
        String from = "";
        String subject = "";
        String username = "";
        String password = "";
        String tls = "";
        String ca = "";
        boolean quiet = false;
        for (String[] kv : params(shown, q < 0 ? "" : rest.substring(q + 1))) {
            String key = kv[0];
            String value = kv[1];
            switch (key) {
                case "from" -> from = value.strip();
                case "subject" -> subject = value.strip();
                case "username" -> username = value.strip();
                case "password" -> password = value;
                case "tls" -> tls = value.strip();
                case "quiet" -> quiet = bool(shown, key, value);
                case "ca" -> ca = value.strip();
                default -> throw badAs(shown, "unknown parameter " + key
                        + " (use from, subject, username, password, tls, quiet, ca)");
            }
        }
        // Go dewy's fallbacks: the URL first, then MAIL_USERNAME, MAIL_PASSWORD, MAIL_FROM; from is the username last
        username = username.isEmpty() ? env.getOrDefault("MAIL_USERNAME", "").strip() : username;
        password = password.isEmpty() ? env.getOrDefault("MAIL_PASSWORD", "") : password;
        from = from.isEmpty() ? env.getOrDefault("MAIL_FROM", "").strip() : from;
        if (from.isEmpty()) {
            from = username;
        }
        if (to.isEmpty()) {
            throw badAs(shown, "mail to address is required (smtp://HOST:PORT/TO)");
        }
        for (String one : to.split(",", -1)) {
            if (!isAddress(one.strip())) {
                throw badAs(shown, "not a mail address: " + one.strip());
            }
        }
        if (from.isEmpty()) {
            throw badAs(shown, "mail from address is required (from=, MAIL_FROM, or a username that is an address)");
        }
        if (!isAddress(from)) {
            throw badAs(shown, "from is not a mail address: " + from);
        }
        if (!username.isEmpty() && password.isEmpty()) {
            throw badAs(shown, "mail password is required with a username (password= or MAIL_PASSWORD)");
        }
        if (username.isEmpty() && !password.isEmpty()) {
            throw badAs(shown, "mail username is required with a password (username= or MAIL_USERNAME)");
        }
        MailNotifier.Tls mode = tlsMode(shown, tls, port);
        SSLSocketFactory trust = ca.isEmpty() ? null : MailTrust.fromPem(shown, ca);
        return new MailNotifier(new MailNotifier.Settings(host.toLowerCase(Locale.ROOT), port, to, from,
                subject.isEmpty() ? MailNotifier.DEFAULT_SUBJECT : subject, username.isEmpty() ? null : username,
                password.isEmpty() ? null : password, mode, quiet, trust, timeout));
    }

    /**
     * {@code tls=}: Go dewy's booleans, where true is Go's mail dialer's rule (465 is SMTPS, any other port
     * STARTTLS), or {@code starttls} or {@code ssl} for either on any port.
     */
    private static MailNotifier.Tls tlsMode(String shown, String tls, int port) {
        return switch (tls) {
            case "", "true", "True", "TRUE", "t", "T", "1" -> port == SMTPS_PORT
                    ? MailNotifier.Tls.IMPLICIT : MailNotifier.Tls.STARTTLS;
            case "false", "False", "FALSE", "f", "F", "0" -> MailNotifier.Tls.PLAIN;
            case "starttls" -> MailNotifier.Tls.STARTTLS;
            case "ssl" -> MailNotifier.Tls.IMPLICIT;
            default -> throw badAs(shown, "tls= wants true, false, starttls or ssl");
        };
    }

    /** local@domain, one address without a display name: what a notifier's From and To need. */
    private static boolean isAddress(String s) {
        return s.matches("[^@\\s<>,;\"()\\[\\]]+@[A-Za-z0-9.\\[\\]:-]+");
    }

    private static String checkLink(String shown, String link) {
        if (!isHttpUrl(link)) {
            throw badAs(shown, "url is not an http(s) URL");
        }
        return link;
    }

    private static boolean isHttpUrl(String s) {
        try {
            URI uri = new URI(s);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static String decode(String shown, String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw badAs(shown, "bad percent escape");
        }
    }

    private static IllegalArgumentException bad(String url, String why) {
        return badAs(safeForm(url), why);
    }

    static IllegalArgumentException badAs(String shown, String why) {
        return new IllegalArgumentException("--notifier " + shown + ": " + why);
    }

    /**
     * {@code scheme://host:port} of any text: what may be quoted in a message. Everything from the first
     * {@code /}, {@code ?} or {@code #} after the authority is dropped, and so is user info.
     */
    static String safeForm(String url) {
        int sep = url.indexOf("://");
        String prefix = sep < 0 ? "" : url.substring(0, sep + 3);
        String rest = sep < 0 ? url : url.substring(sep + 3);
        int end = rest.length();
        for (char c : new char[] {'/', '?', '#'}) {
            int i = rest.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        String authority = rest.substring(0, end);
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            authority = authority.substring(at + 1);
        }
        return prefix + authority;
    }

    /** {@code https://host:port} with the port always spelled out, so two webhooks on one host stay apart. */
    static String origin(URI uri) {
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String host = uri.getHost();
        return scheme + "://" + host + ":" + port;
    }
}
