package dewy.deploy;

import dewy.net.Proxies;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dewy.log.Log;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GitHub Releases: {@code ghr://OWNER/REPO?artifact=NAME&pre-release=true}.
 *
 * <p>Lists every release (following pagination, up to {@value #MAX_PAGES} pages of 100) and picks the highest SemVer
 * tag: GitHub's own "latest" is the newest by date, which a backport release would win. Drafts are never eligible;
 * pre-releases (GitHub's flag or a SemVer pre-release tag) only with {@code pre-release=true}; tags that are not
 * SemVer are ignored. The API is {@code GITHUB_API_URL} (GitHub Enterprise) or {@code https://api.github.com}; the
 * token is {@code GITHUB_TOKEN}, else {@code GH_TOKEN}, and goes only to the API's own host: GitHub answers asset
 * downloads with a redirect to a storage host, which must not see it.
 */
public final class GitHubRegistry implements Registry {
    static final int MAX_PAGES = 10;
    static final int MAX_REDIRECTS = 5;
    static final Duration API_TIMEOUT = Duration.ofSeconds(30);
    /**
     * One page of the release list, counted as it arrives: 100 releases with their assets take far less (GitHub's
     * own pages are a few hundred KiB), and a page is held in memory while it is read (see {@link #scan}).
     */
    static final long MAX_PAGE_BYTES = 8L << 20;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern NEXT = Pattern.compile("<([^>]*)>\\s*;[^,]*\\brel=\"?next\"?");
    private static final String JSON = "application/vnd.github+json";

    private final String url;
    private final String owner;
    private final String repo;
    private final URI base;
    private final String token;
    private final RegistryOptions options;
    private final String os;
    private final String arch;
    private final String userAgent;
    private final java.net.ProxySelector proxies;
    private HttpClient client; // built at the first request: not on the path to the application's start

    private GitHubRegistry(String url, String owner, String repo, URI base, String token, RegistryOptions options,
            String os, String arch, java.net.ProxySelector proxies) {
        this.url = url;
        this.owner = owner;
        this.repo = repo;
        this.base = base;
        this.token = token;
        this.options = options;
        this.os = os;
        this.arch = arch;
        String version = dewy.Main.class.getPackage().getImplementationVersion();
        this.userAgent = "dewy/" + (version == null ? "dev" : version);
        this.proxies = proxies;
    }

    private synchronized HttpClient client() {
        if (client == null) {
            // Redirects by hand: the token must be dropped when one leaves the API's host, which HttpClient would not do.
            HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10));
            if (proxies != null) {
                b.proxy(proxies);
            }
            client = b.build();
        }
        return client;
    }

    static GitHubRegistry parse(String url, Map<String, String> env, String os, String arch, String calver,
            String slot) {
        String rest = url.substring("ghr://".length());
        if (rest.contains("@")) { // not echoed: it may hold a token
            throw new IllegalArgumentException("bad registry url: ghr:// takes no credentials (set GITHUB_TOKEN)");
        }
        int q = rest.indexOf('?');
        String path = q < 0 ? rest : rest.substring(0, q);
        String[] parts = path.split("/", -1);
        if (parts.length != 2 || !validName(parts[0]) || !validName(parts[1]) || rest.contains("#")) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": want ghr://OWNER/REPO");
        }
        RegistryOptions options = RegistryOptions.parse(q < 0 ? null : rest.substring(q + 1), url)
                .with(calver, slot, url);
        String api = env.getOrDefault("GITHUB_API_URL", "");
        if (api.isBlank()) {
            api = "https://api.github.com";
        }
        while (api.endsWith("/")) {
            api = api.substring(0, api.length() - 1);
        }
        URI base;
        try {
            base = new URI(api);
        } catch (java.net.URISyntaxException e) {
            base = null;
        }
        if (base == null || base.getHost() == null || base.getRawUserInfo() != null
                || !("https".equals(base.getScheme()) || "http".equals(base.getScheme()))) {
            throw new IllegalArgumentException("bad GITHUB_API_URL: want https://HOST[/PATH]");
        }
        String token = env.get("GITHUB_TOKEN");
        if (token == null || token.isBlank()) {
            token = env.get("GH_TOKEN");
        }
        token = token == null || token.isBlank() ? null : token.strip();
        return new GitHubRegistry(url, parts[0], parts[1], base, token, options, os, arch, Proxies.fromEnv(env));
    }

    private static boolean validName(String s) {
        return NAME.matcher(s).matches() && !s.equals(".") && !s.equals("..");
    }

    @Override
    public String describe() {
        return url;
    }

    @Override
    public String toString() {
        return "GitHubRegistry[" + url + "]"; // never the token
    }

    @Override
    public Release latest() throws IOException, InterruptedException {
        URI next = URI.create(base + "/repos/" + owner + "/" + repo + "/releases?per_page=100");
        Listed best = null;
        int pages = 0;
        while (next != null && pages < MAX_PAGES) {
            pages++;
            Pages body = new Pages();
            HttpHeaders headers = get(next, JSON, body, MAX_PAGE_BYTES, API_TIMEOUT, null);
            String where = "GET " + pathOf(next);
            best = scan(body, where, best);
            next = nextPage(headers, where);
        }
        if (next != null) {
            Log.warn("registry has more releases than dewy reads; older ones are not considered", "registry", url,
                    "pages", MAX_PAGES);
        }
        Log.debug("registry listed releases", "registry", url, "pages", pages,
                "latest", best == null ? "none" : best.version().tag());
        return best == null ? null : release(best);
    }

    /**
     * One release as listed, with only what dewy uses. {@code assetsError} is a malformed asset list, which only
     * matters if this release is the one picked (as it did when the whole page was parsed into a tree).
     */
    private record Listed(Version version, List<Asset> assets, String assetsError) {
    }

    /**
     * Reads one page of the release list as a stream, keeping only the best release so far: a page is up to
     * {@link #MAX_PAGE_BYTES} of JSON, whose tree could take ten times that in objects. Values dewy does not read are
     * skipped without being built; the ones it reads must have the type it expects.
     */
    private Listed scan(Pages body, String where, Listed best) throws RegistryException {
        try (JsonReader r = new JsonReader(new InputStreamReader(body.open(), StandardCharsets.UTF_8))) {
            r.setStrictness(Strictness.LEGACY_STRICT);
            if (r.peek() != JsonToken.BEGIN_ARRAY) {
                throw malformed(where, "want a list of releases", null);
            }
            r.beginArray();
            while (r.hasNext()) {
                Listed l = listed(r, where);
                if (l != null && (best == null || l.version().compareTo(best.version()) > 0)) {
                    best = l; // ties: the first listed, the newest
                }
            }
            r.endArray();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw malformed(where, "more after the list of releases", null);
            }
            return best;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            if (e instanceof RegistryException re) {
                throw re;
            }
            throw malformed(where, firstLine(Transfer.message(e)), e);
        }
    }

    /** One element of the list: null when it is not eligible (a draft, a pre-release, not the rule's version). */
    private Listed listed(JsonReader r, String where) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw malformed(where, "want an object, got " + r.peek(), null);
        }
        String tag = null;
        boolean draft = false;
        boolean prerelease = false;
        List<Asset> assets = new ArrayList<>();
        String assetsError = null;
        r.beginObject();
        while (r.hasNext()) {
            switch (r.nextName()) {
                case "tag_name" -> tag = string(r, "tag_name", where);
                case "draft" -> draft = bool(r, "draft", where);
                case "prerelease" -> prerelease = bool(r, "prerelease", where);
                case "assets" -> assetsError = assets(r, assets, where);
                default -> r.skipValue();
            }
        }
        r.endObject();
        if (tag == null) {
            throw malformed(where, "\"tag_name\" is missing or not a string", null);
        }
        Version v = options.rule().read(tag);
        boolean pre = prerelease || (v != null && v.prerelease());
        if (v == null || draft || (pre && !options.preRelease())) {
            return null;
        }
        return new Listed(v, assets, assetsError);
    }

    /** A release's assets into {@code out}; returns what is malformed about them, or null. */
    private String assets(JsonReader r, List<Asset> out, String where) throws IOException {
        JsonToken t = r.peek();
        if (t == JsonToken.NULL) {
            r.nextNull();
            return null;
        }
        if (t != JsonToken.BEGIN_ARRAY) {
            r.skipValue();
            return "assets is not an array";
        }
        String error = null;
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                if (error == null) {
                    error = "want an object, got " + r.peek();
                }
                r.skipValue();
                continue;
            }
            String name = null;
            String location = null;
            String state = null;
            long size = -1;
            r.beginObject();
            while (r.hasNext()) {
                String key = r.nextName();
                JsonToken vt = r.peek();
                boolean primitive = vt == JsonToken.STRING || vt == JsonToken.NUMBER || vt == JsonToken.BOOLEAN;
                switch (key) {
                    case "name" -> name = vt == JsonToken.STRING ? r.nextString() : skip(r);
                    case "url" -> location = vt == JsonToken.STRING ? r.nextString() : skip(r);
                    case "state" -> state = primitive ? r.nextString() : skip(r);
                    case "size" -> size = vt == JsonToken.NUMBER ? number(r.nextString()) : skipLong(r);
                    default -> r.skipValue();
                }
            }
            r.endObject();
            if (state != null && !"uploaded".equals(state)) {
                continue; // still uploading: not there yet
            }
            if (error != null) {
                continue;
            }
            if (name == null || location == null) {
                error = "\"" + (location == null ? "url" : "name") + "\" is missing or not a string";
                continue;
            }
            try {
                out.add(new Asset(name, new URI(location), size));
            } catch (java.net.URISyntaxException e) {
                error = "asset url is not a URL";
            }
        }
        r.endArray();
        return error;
    }

    private static String skip(JsonReader r) throws IOException {
        r.skipValue();
        return null;
    }

    private static long skipLong(JsonReader r) throws IOException {
        r.skipValue();
        return -1;
    }

    /** A size as GitHub writes it; anything else (a fraction, 1e999999) is unknown, never computed. */
    private static long number(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Uploads the report as an asset of the release {@code tag}, as Go dewy does: the release by its tag, then a POST
     * to its {@code upload_url} (GitHub's upload host, or the Enterprise server's), with the token. The token needs
     * write access to the repository's contents.
     */
    @Override
    public void report(String tag, ShippingReport report) throws IOException, InterruptedException {
        URI byTag = URI.create(base + "/repos/" + owner + "/" + repo + "/releases/tags/"
                + java.net.URLEncoder.encode(tag, StandardCharsets.UTF_8).replace("+", "%2B"));
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        get(byTag, JSON, body, MAX_TEXT_BYTES, API_TIMEOUT, null);
        String where = "GET " + pathOf(byTag);
        String template;
        try {
            JsonElement release = JsonParser.parseString(body.toString(StandardCharsets.UTF_8));
            JsonElement u = release.isJsonObject() ? release.getAsJsonObject().get("upload_url") : null;
            template = u != null && u.isJsonPrimitive() ? u.getAsString() : null;
        } catch (RuntimeException e) {
            throw malformed(where, firstLine(Transfer.message(e)), e);
        }
        if (template == null) {
            throw malformed(where, "the release has no \"upload_url\"", null);
        }
        int brace = template.indexOf('{'); // a URI template: ...assets{?name,label}
        URI upload;
        try {
            upload = URI.create((brace < 0 ? template : template.substring(0, brace)) + "?name="
                    + java.net.URLEncoder.encode(report.name(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw malformed(where, "a malformed \"upload_url\"", e);
        }
        if (!"https".equals(upload.getScheme()) && !"http".equals(upload.getScheme())) {
            throw malformed(where, "an \"upload_url\" that is not http(s)", null);
        }
        String post = "registry " + url + ": POST " + hostOf(upload) + pathOf(upload);
        HttpRequest.Builder request = request(upload, JSON, true) // the API named this host for this upload
                .POST(HttpRequest.BodyPublishers.ofByteArray(report.bytes())).timeout(API_TIMEOUT)
                .header("Content-Type", "text/plain");
        HttpResponse<InputStream> response = send(request.build(), post, post, API_TIMEOUT);
        try (InputStream in = response.body()) {
            in.readNBytes(64 * 1024);
            if (response.statusCode() != 201) {
                throw statusError(post, response.statusCode(), response.headers(), token != null,
                        System.currentTimeMillis() / 1000);
            }
        }
    }

    @Override
    public Version version(String tag) {
        return options.rule().read(tag);
    }

    private Release release(Listed best) throws RegistryException {
        if (best.assetsError() != null) {
            throw malformed("GET /repos/" + owner + "/" + repo + "/releases", best.assetsError(), null);
        }
        return Artifacts.release(url, best.version(), best.assets(), options.artifact(), os, arch);
    }

    @Override
    public void copy(Asset asset, OutputStream out, long maxBytes, Duration timeout)
            throws IOException, InterruptedException {
        get(asset.location(), "application/octet-stream", out, maxBytes, timeout, asset.name());
    }

    /**
     * GETs {@code uri}, following up to {@value #MAX_REDIRECTS} redirects, and copies a 2xx body to {@code out};
     * returns the final response's headers. The whole exchange, redirects included, must finish within
     * {@code timeout}. {@code name} names the body in size and timeout errors (null: the request line).
     */
    HttpHeaders get(URI uri, String accept, OutputStream out, long maxBytes, Duration timeout, String name)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        // GitHub's headers and the token go to the API's origin only, and never again once a redirect has left it.
        boolean trusted = sameOrigin(uri, base);
        for (int hops = 0; ; hops++) {
            String where = "registry " + url + ": GET " + (sameOrigin(uri, base) ? pathOf(uri) : hostOf(uri) + pathOf(uri));
            String what = name != null ? "registry " + url + ": " + name : where;
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw Transfer.timedOut(what, timeout);
            }
            HttpRequest.Builder request = request(uri, accept, trusted).GET().timeout(Duration.ofNanos(left));
            HttpResponse<InputStream> response = send(request.build(), where, what, timeout);
            try (InputStream body = response.body()) {
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    long length = response.headers().firstValueAsLong("content-length").orElse(-1);
                    if (length > maxBytes) {
                        throw Transfer.tooLarge(what, maxBytes);
                    }
                    long n = Transfer.copy(body, out, maxBytes, deadline, timeout, what);
                    if (length >= 0 && n != length) {
                        throw new RegistryException(what + ": body ended after " + n + " of " + length + " bytes",
                                true);
                    }
                    return response.headers();
                }
                Optional<String> location = response.headers().firstValue("location");
                if (isRedirect(status) && location.isPresent()) {
                    if (hops == MAX_REDIRECTS) {
                        throw new RegistryException(where + ": more than " + MAX_REDIRECTS + " redirects", false);
                    }
                    URI next = redirect(uri, location.get(), where);
                    trusted = trusted && sameOrigin(next, uri);
                    uri = next;
                    continue;
                }
                throw statusError(where, status, response.headers(), token != null,
                        System.currentTimeMillis() / 1000);
            }
        }
    }

    /** A request with dewy's headers; GitHub's version header and the token only where {@code trusted}. */
    private HttpRequest.Builder request(URI uri, String accept, boolean trusted) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", accept)
                .header("User-Agent", userAgent);
        if (trusted) {
            request.header("X-GitHub-Api-Version", "2022-11-28");
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
        }
        return request;
    }

    private HttpResponse<InputStream> send(HttpRequest request, String where, String what, Duration timeout)
            throws RegistryException, InterruptedException {
        try {
            return client().send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) { // connect or response headers: both the network's
            throw new RegistryException(where + ": " + Transfer.message(e), true, null, e);
        } catch (IOException e) {
            if (Transfer.isInterrupt(e)) {
                throw Transfer.interrupted(what, e);
            }
            throw new RegistryException(where + ": " + Transfer.message(e), true, null, e);
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static URI redirect(URI from, String location, String where) throws RegistryException {
        URI next;
        try {
            next = from.resolve(new URI(location.strip()));
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new RegistryException(where + ": redirect to a malformed location", false);
        }
        if (!("https".equals(next.getScheme()) || "http".equals(next.getScheme())) || next.getHost() == null) {
            throw new RegistryException(where + ": redirect to a location that is not http(s)", false);
        }
        return next;
    }

    /**
     * The exception for an HTTP error status. Transient: 5xx, 408, 429, and 403 when it is a rate limit (GitHub's
     * primary limit says {@code X-RateLimit-Remaining: 0}, its secondary limit sends {@code Retry-After}).
     */
    static RegistryException statusError(String where, int status, HttpHeaders headers, boolean withToken,
            long nowEpochSeconds) {
        boolean exhausted = headers.firstValue("x-ratelimit-remaining").map(v -> v.strip().equals("0")).orElse(false);
        boolean rateLimited = status == 429 || ((status == 403) && (exhausted
                || headers.firstValue("retry-after").isPresent()));
        boolean transientFailure = status >= 500 || status == 408 || rateLimited;
        Duration retryAfter = transientFailure ? retryAfter(headers, nowEpochSeconds) : null;
        StringBuilder m = new StringBuilder(where).append(": ").append(status);
        String reason = reason(status);
        if (!reason.isEmpty()) {
            m.append(' ').append(reason);
        }
        if (rateLimited) {
            m.append(" (rate limited");
            if (retryAfter != null) {
                m.append(", retry in ").append(retryAfter.toSeconds()).append(" s");
            }
            m.append(')');
        } else if (status == 401) {
            m.append(" (check GITHUB_TOKEN)");
        } else if (status == 404 && !withToken) {
            m.append(" (a private repository needs GITHUB_TOKEN)");
        }
        return new RegistryException(m.toString(), transientFailure, retryAfter, null);
    }

    /** Retry-After (seconds or an HTTP date), else X-RateLimit-Reset (epoch seconds) minus now; never negative. */
    static Duration retryAfter(HttpHeaders headers, long nowEpochSeconds) {
        Optional<String> after = headers.firstValue("retry-after").map(String::strip);
        if (after.isPresent()) {
            try {
                return Duration.ofSeconds(Math.max(0, Long.parseLong(after.get())));
            } catch (NumberFormatException e) {
                try {
                    long at = ZonedDateTime.parse(after.get(), DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
                    return Duration.ofSeconds(Math.max(0, at - nowEpochSeconds));
                } catch (DateTimeParseException e2) {
                    // fall through to the rate limit reset
                }
            }
        }
        Optional<String> reset = headers.firstValue("x-ratelimit-reset").map(String::strip);
        if (reset.isPresent()) {
            try {
                return Duration.ofSeconds(Math.max(0, Long.parseLong(reset.get()) - nowEpochSeconds));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static String reason(int status) {
        switch (status) {
            case 400: return "Bad Request";
            case 401: return "Unauthorized";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 408: return "Request Timeout";
            case 409: return "Conflict";
            case 410: return "Gone";
            case 422: return "Unprocessable Entity";
            case 429: return "Too Many Requests";
            case 500: return "Internal Server Error";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            case 504: return "Gateway Timeout";
            default: return "";
        }
    }

    private URI nextPage(HttpHeaders headers, String where) throws RegistryException {
        for (String link : headers.allValues("link")) {
            Matcher m = NEXT.matcher(link);
            if (m.find()) {
                try {
                    return base.resolve(new URI(m.group(1).strip()));
                } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                    throw malformed(where, "Link header has a malformed next page", e);
                }
            }
        }
        return null;
    }

    private String string(JsonReader r, String key, String where) throws IOException {
        if (r.peek() != JsonToken.STRING) {
            throw malformed(where, "\"" + key + "\" is missing or not a string", null);
        }
        return r.nextString();
    }

    private boolean bool(JsonReader r, String key, String where) throws IOException {
        JsonToken t = r.peek();
        if (t == JsonToken.NULL) {
            r.nextNull();
            return false;
        }
        if (t != JsonToken.BOOLEAN) {
            throw malformed(where, "\"" + key + "\" is not a boolean", null);
        }
        return r.nextBoolean();
    }

    private RegistryException malformed(String where, String detail, Throwable cause) {
        return new RegistryException("registry " + url + ": " + where + ": malformed JSON: " + detail, false, null,
                cause);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String pathOf(URI uri) {
        return uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath(); // never the query
    }

    private static String hostOf(URI uri) {
        return uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : "http".equalsIgnoreCase(u.getScheme()) ? 80 : -1;
    }

    /**
     * A page body in 64 KiB chunks: no doubling copies (a ByteArrayOutputStream holds 1.5 times its size while it
     * grows), and read back as a stream.
     */
    private static final class Pages extends OutputStream {
        private static final int CHUNK = 64 * 1024;
        private final List<byte[]> chunks = new ArrayList<>();
        private int last = CHUNK; // bytes used in the last chunk

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            while (len > 0) {
                if (last == CHUNK) {
                    chunks.add(new byte[CHUNK]);
                    last = 0;
                }
                int n = Math.min(len, CHUNK - last);
                System.arraycopy(b, off, chunks.get(chunks.size() - 1), last, n);
                last += n;
                off += n;
                len -= n;
            }
        }

        InputStream open() {
            List<InputStream> parts = new ArrayList<>(chunks.size());
            for (int i = 0; i < chunks.size(); i++) {
                parts.add(new java.io.ByteArrayInputStream(chunks.get(i), 0, i == chunks.size() - 1 ? last : CHUNK));
            }
            return new java.io.SequenceInputStream(java.util.Collections.enumeration(parts));
        }
    }
}
