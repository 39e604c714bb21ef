package dewy.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxiesTest {
    private static String via(ProxySelector p, String url) {
        Proxy proxy = p.select(URI.create(url)).get(0);
        if (proxy.type() == Proxy.Type.DIRECT) {
            return "direct";
        }
        InetSocketAddress a = (InetSocketAddress) proxy.address();
        return a.getHostString() + ":" + a.getPort();
    }

    @Test
    void noVariablesNoSelector() {
        assertNull(Proxies.fromEnv(Map.of()));
        assertNull(Proxies.fromEnv(Map.of("NO_PROXY", "*", "HTTPS_PROXY", " ")));
    }

    @Test
    void eachSchemeItsOwnProxyUpperOrLowerCase() {
        ProxySelector p = Proxies.fromEnv(Map.of("HTTPS_PROXY", "http://secure:3128", "http_proxy", "plain:8080"));
        assertEquals("secure:3128", via(p, "https://api.github.com/repos/o/r/releases"));
        assertEquals("plain:8080", via(p, "http://hooks.example.com/x"));
        ProxySelector onlyHttps = Proxies.fromEnv(Map.of("https_proxy", "http://secure"));
        assertEquals("secure:80", via(onlyHttps, "https://api.github.com/"));
        assertEquals("direct", via(onlyHttps, "http://hooks.example.com/"));
    }

    @Test
    void noProxyHostsDomainsPortsAndStar() {
        ProxySelector p = Proxies.fromEnv(Map.of("HTTPS_PROXY", "proxy:3128", "HTTP_PROXY", "proxy:3128",
                "NO_PROXY", "localhost, 10.0.0.7,.internal.example,corp.example,ghe.example:8443,[::1]"));
        assertEquals("direct", via(p, "https://localhost/"));
        assertEquals("direct", via(p, "http://10.0.0.7:9000/"));
        assertEquals("direct", via(p, "https://a.b.internal.example/"));
        assertEquals("direct", via(p, "https://internal.example/"));
        assertEquals("direct", via(p, "https://corp.example/"));
        assertEquals("direct", via(p, "https://api.corp.example/"));
        assertEquals("proxy:3128", via(p, "https://notcorp.example/"), "a suffix, not a substring");
        assertEquals("direct", via(p, "https://ghe.example:8443/api/v3"));
        assertEquals("proxy:3128", via(p, "https://ghe.example/api/v3"), "that entry names port 8443 only");
        assertEquals("direct", via(p, "http://[::1]:8080/"));
        assertEquals("proxy:3128", via(p, "https://api.github.com/"));
        assertEquals("direct", via(Proxies.fromEnv(Map.of("HTTPS_PROXY", "proxy:1", "no_proxy", "*")),
                "https://api.github.com/"));
    }

    @Test
    void unusableProxiesAreOneLineErrorsThatNeverShowCredentials() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Proxies.fromEnv(Map.of("HTTPS_PROXY", "http://user:s3cret@proxy:3128")));
        assertEquals("HTTPS_PROXY: proxy credentials are not supported", e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Proxies.fromEnv(Map.of("HTTP_PROXY", "socks5://proxy:1080"))).getMessage()
                .startsWith("HTTP_PROXY: want http://HOST:PORT"));
        assertThrows(IllegalArgumentException.class, () -> Proxies.fromEnv(Map.of("HTTPS_PROXY", "http://bad host:1")));
    }

    @Test
    void onlyWhatTalksHttpReadsTheProxy() {
        Map<String, String> env = Map.of("HTTPS_PROXY", "http://u:pw@proxy:1");
        dewy.notify.Notifications.create(java.util.List.of(), env).close(); // log only: no HTTP, no proxy
        dewy.deploy.Registry.parse("file:///srv/releases", env); // a directory: no HTTP, no proxy
        assertThrows(IllegalArgumentException.class,
                () -> dewy.notify.Notifications.create(java.util.List.of("webhook+https://h/x"), env));
    }
}
