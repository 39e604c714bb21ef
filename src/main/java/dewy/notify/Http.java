package dewy.notify;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The notifiers' one HTTP client, built on the first send (on a sender thread), so a dewy without notifiers, or one
 * that never sends, never pays for it. The notifiers' threads share it: HttpClient is thread-safe, and each request
 * has its own connection and timeout, so a stalled receiver holds up only the thread waiting for it.
 */
final class Http {
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final Duration timeout;
    private final java.net.ProxySelector proxies;
    private HttpClient client; // guarded by this

    Http(Duration timeout) {
        this(timeout, null);
    }

    /** @param proxies from HTTPS_PROXY and friends, or null: direct */
    Http(Duration timeout, java.net.ProxySelector proxies) {
        this.timeout = timeout;
        this.proxies = proxies;
    }

    Duration timeout() {
        return timeout;
    }

    /**
     * POSTs a body (UTF-8) and returns the response. The whole exchange (connect, headers and body) is bounded by the
     * timeout: HttpRequest.timeout alone stops at the response headers, so a receiver that answers the headers and
     * then stalls the body would hold the queue forever.
     */
    <T> HttpResponse<T> post(URI uri, String contentType, String json, String authorization,
            HttpResponse.BodyHandler<T> handler) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", contentType)
                .header("User-Agent", "dewy")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        CompletableFuture<HttpResponse<T>> f = client().sendAsync(b.build(), handler);
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true); // aborts the exchange and closes its connection (JDK 16+)
            throw new IOException("no response within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            // The JDK's messages name host and port at most; Notifications redacts secrets once more anyway.
            Throwable c = e.getCause() == null ? e : e.getCause();
            if (c instanceof java.net.http.HttpTimeoutException) { // the request's own timer, the same bound
                throw new IOException("no response within " + timeout.toMillis() + " ms");
            }
            throw new IOException(Notifications.oneLine(c));
        }
    }

    private synchronized HttpClient client() {
        if (client == null) {
            HttpClient.Builder b = HttpClient.newBuilder()
                    .connectTimeout(timeout)
                    // HTTP/1.1: no h2c upgrade headers on plain http, which some webhook receivers reject.
                    .version(HttpClient.Version.HTTP_1_1)
                    .followRedirects(HttpClient.Redirect.NEVER);
            if (proxies != null) {
                b.proxy(proxies);
            }
            client = b.build();
        }
        return client;
    }
}
