package dewy.notify;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * Parses one {@code --notifier} URL. Error messages quote the URL only as {@link #safeForm}: scheme and host, never
 * the path, query or user info, which for a webhook are the secret.
 */
final class NotifierUrls {
    private static final String SLACK = "slack://";
    private static final String WEBHOOK = "webhook+";

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
        throw bad(u, "unknown scheme (use slack://CHANNEL or webhook+https://URL)");
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
        if (q >= 0) {
            for (String pair : rest.substring(q + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : decode(shown, pair.substring(eq + 1));
                switch (key) {
                    case "title" -> title = value.isBlank() ? "dewy" : value;
                    case "url" -> link = checkLink(shown, value);
                    case "thread" -> thread = bool(shown, key, value);
                    case "quiet" -> quiet = bool(shown, key, value);
                    default -> throw badAs(shown, "unknown parameter " + key + " (use title, url, thread, quiet)");
                }
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

    private static IllegalArgumentException badAs(String shown, String why) {
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
