package dewy.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code HTTPS_PROXY}, {@code HTTP_PROXY} and {@code NO_PROXY} (or their lower-case forms) for the registry's and the
 * notifiers' HTTP clients, read as Go's and curl's clients read them, since the Go dewy honours them:
 * <ul>
 *   <li>https URLs go through {@code HTTPS_PROXY}, http URLs through {@code HTTP_PROXY};</li>
 *   <li>{@code NO_PROXY} is a comma list: {@code *} (no proxy at all), a host or IP, or a domain that also covers its
 *       subdomains ({@code example.com} or {@code .example.com}), each optionally with {@code :PORT}.</li>
 * </ul>
 * A proxy is {@code http://HOST:PORT} or {@code HOST:PORT}. Credentials in it are not supported (the JDK's client
 * will not send Basic credentials to a proxy for https), and {@link #fromEnv} refuses them with a clear message.
 */
public final class Proxies extends ProxySelector {
    private final Proxy https;
    private final Proxy http;
    private final List<String> noProxy;

    private Proxies(Proxy https, Proxy http, List<String> noProxy) {
        this.https = https;
        this.http = http;
        this.noProxy = noProxy;
    }

    /**
     * The selector for this environment, or null when no proxy is set (the client's default: direct).
     *
     * @throws IllegalArgumentException one line, never echoing credentials, for a proxy that cannot be used
     */
    public static ProxySelector fromEnv(Map<String, String> env) {
        Proxy https = proxy(env, "HTTPS_PROXY");
        Proxy http = proxy(env, "HTTP_PROXY");
        if (https == null && http == null) {
            return null;
        }
        List<String> noProxy = new ArrayList<>();
        for (String entry : get(env, "NO_PROXY").split(",")) {
            String e = entry.strip().toLowerCase(Locale.ROOT);
            if (!e.isEmpty()) {
                noProxy.add(e);
            }
        }
        return new Proxies(https, http, List.copyOf(noProxy));
    }

    private static String get(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            v = env.get(name.toLowerCase(Locale.ROOT));
        }
        return v == null ? "" : v.strip();
    }

    private static Proxy proxy(Map<String, String> env, String name) {
        String v = get(env, name);
        if (v.isEmpty()) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(v.contains("://") ? v : "http://" + v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": not a proxy URL (want http://HOST:PORT)");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(name + ": proxy credentials are not supported");
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException(name + ": want http://HOST:PORT, not " + uri.getScheme() + "://");
        }
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(uri.getHost(), port));
    }

    @Override
    public List<Proxy> select(URI uri) {
        Proxy p = "https".equalsIgnoreCase(uri.getScheme()) ? https : http;
        if (p == null || bypassed(uri)) {
            return List.of(Proxy.NO_PROXY);
        }
        return List.of(p);
    }

    private boolean bypassed(URI uri) {
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        for (String entry : noProxy) {
            if (entry.equals("*")) {
                return true;
            }
            String name = entry;
            int colon = entry.lastIndexOf(':');
            if (colon > 0 && entry.indexOf(':') == colon && entry.substring(colon + 1).matches("\\d+")) {
                if (Integer.parseInt(entry.substring(colon + 1)) != port) {
                    continue;
                }
                name = entry.substring(0, colon);
            }
            name = name.startsWith(".") ? name.substring(1) : name;
            if (name.startsWith("[") && name.endsWith("]")) {
                name = name.substring(1, name.length() - 1);
            }
            if (host.equals(name) || host.endsWith("." + name)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // nothing to learn: the request fails and the caller reports it
    }
}
