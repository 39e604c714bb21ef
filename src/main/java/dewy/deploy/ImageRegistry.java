package dewy.deploy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dewy.net.Proxies;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code img://REGISTRY/REPOSITORY}: container images in an OCI registry (the distribution API), as Go dewy's
 * container mode reads them. The newest tag by the registry rule (SemVer, or {@code calver=FORMAT}; pre-releases only
 * with {@code pre-release=true}), and its manifest digest, so that what runs is pinned by digest.
 *
 * <ul>
 *   <li>Docker Hub names are normalized as Go dewy does: {@code docker.io} and {@code index.docker.io} mean
 *       {@code registry-1.docker.io}, and a one-part name gets {@code library/}.</li>
 *   <li>Credentials: {@code DOCKER_USERNAME}/{@code DOCKER_PASSWORD}; for {@code ghcr.io}, {@code GITHUB_TOKEN}.
 *       Sent as Basic, or exchanged for a bearer token when the registry answers 401 with
 *       {@code WWW-Authenticate: Bearer realm=...} (the token flow of Docker Hub, ghcr and most registries).</li>
 *   <li>{@code localhost} and {@code 127.0.0.1} registries are plain http (as Go dewy); every other is https.</li>
 * </ul>
 */
public final class ImageRegistry {
    /** The chosen image: its tag, the manifest's digest, and the reference an engine pulls. */
    public record Image(String tag, String digest, String repository) {
        /** {@code REGISTRY/REPO@sha256:...}: what an engine pulls, immune to the tag moving. */
        public String pinned() {
            return repository + "@" + digest;
        }
    }

    static final String MANIFEST_TYPES = String.join(", ",
            "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json");
    private static final int MAX_PAGES = 100;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String url;
    private final String host;
    private final String repository;
    private final String scheme;
    private final RegistryOptions options;
    private final String basic; // "user:password" base64, or null
    private final java.net.ProxySelector proxies; // null without HTTPS_PROXY/HTTP_PROXY
    private String bearer; // the token of the last challenge answered
    private HttpClient client;

    private ImageRegistry(String url, String host, String repository, RegistryOptions options, String basic,
            java.net.ProxySelector proxies) {
        this.url = url;
        this.host = host;
        this.repository = repository;
        String bare = host.toLowerCase(Locale.ROOT);
        this.scheme = bare.startsWith("localhost") || bare.startsWith("127.0.0.1") ? "http" : "https";
        this.options = options;
        this.basic = basic;
        this.proxies = proxies;
    }

    /**
     * Reads {@code img://REGISTRY/REPO[?pre-release=true&calver=FORMAT]}; {@code env} supplies the credentials and the
     * proxies.
     *
     * @throws IllegalArgumentException with one line when the URL is not one
     */
    public static ImageRegistry parse(String url, Map<String, String> env, String calver, String slot) {
        if (url == null || !url.startsWith("img://")) {
            throw new IllegalArgumentException("registry url \"" + url + "\": want img://REGISTRY/REPOSITORY");
        }
        String rest = url.substring("img://".length());
        int q = rest.indexOf('?');
        String query = q < 0 ? null : rest.substring(q + 1);
        String path = q < 0 ? rest : rest.substring(0, q);
        int slash = path.indexOf('/');
        if (slash <= 0 || slash == path.length() - 1 || path.endsWith("/") || path.contains("@")) {
            throw new IllegalArgumentException("bad registry url \"" + url
                    + "\": want img://REGISTRY/REPOSITORY (a registry host and a repository path)");
        }
        String host = path.substring(0, slash);
        String repo = path.substring(slash + 1);
        if (!repo.matches("[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*")) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": \"" + repo
                    + "\" is not a repository name (lower-case letters, digits, . _ - and /)");
        }
        if (slot != null) { // a slot is SemVer build metadata, and an OCI tag cannot hold a '+'
            throw new IllegalArgumentException("--slot " + slot + ": image tags cannot carry build metadata (+" + slot
                    + "); use one repository per slot");
        }
        String[] normal = normalizeDockerHub(host, repo);
        RegistryOptions options = RegistryOptions.parse(query, url).with(calver, slot, url);
        if (options.artifact() != null) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": artifact= is for release archives, "
                    + "not images");
        }
        return new ImageRegistry(url, normal[0], normal[1], options, credentials(normal[0], env), Proxies.fromEnv(env));
    }

    /** Go dewy's normalizeDockerHub: {host, repository}. */
    static String[] normalizeDockerHub(String host, String repository) {
        boolean hub = host.equals("docker.io") || host.equals("index.docker.io")
                || host.equals("registry-1.docker.io");
        String h = host.equals("docker.io") || host.equals("index.docker.io") ? "registry-1.docker.io" : host;
        String r = hub && !repository.contains("/") ? "library/" + repository : repository;
        return new String[] {h, r};
    }

    private static String credentials(String host, Map<String, String> env) {
        String user = env.get("DOCKER_USERNAME");
        String password;
        if (user != null && !user.isEmpty()) {
            password = env.getOrDefault("DOCKER_PASSWORD", "");
        } else if (host.contains("ghcr.io") && env.get("GITHUB_TOKEN") != null && !env.get("GITHUB_TOKEN").isEmpty()) {
            user = "token";
            password = env.get("GITHUB_TOKEN");
        } else {
            return null;
        }
        return Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** For logs: the URL as given (it carries no secret). */
    public String describe() {
        return url;
    }

    /** {@code REGISTRY/REPO} as an engine names it. */
    public String repository() {
        return host + "/" + repository;
    }

    /** The newest eligible image, or null when the repository has no eligible tag yet. */
    public Image latest() throws IOException, InterruptedException {
        List<String> tags = tags();
        Version newest = options.newest(tags);
        if (newest == null) {
            return null;
        }
        return new Image(newest.tag(), digest(newest.tag()), repository());
    }

    /** Every tag, following the {@code Link: <...>; rel="next"} pages. */
    List<String> tags() throws IOException, InterruptedException {
        List<String> tags = new ArrayList<>();
        String next = "/v2/" + repository + "/tags/list";
        for (int page = 0; next != null; page++) {
            if (page == MAX_PAGES) {
                throw new RegistryException("registry " + url + ": more than " + MAX_PAGES + " pages of tags", false);
            }
            HttpResponse<String> r = send(next, "GET", "application/json");
            if (r.statusCode() == 404) {
                throw new RegistryException("registry " + url + ": no repository " + repository + " (404)", false);
            }
            ok(r, "listing tags");
            JsonElement list = parse(r.body()).get("tags");
            if (list != null && list.isJsonArray()) {
                for (JsonElement t : (JsonArray) list) {
                    tags.add(t.getAsString());
                }
            }
            next = nextLink(r.headers().firstValue("Link").orElse(null));
        }
        return tags;
    }

    /** The manifest digest of {@code tag} ({@code Docker-Content-Digest} of a HEAD). */
    String digest(String tag) throws IOException, InterruptedException {
        HttpResponse<String> r = send("/v2/" + repository + "/manifests/" + tag, "HEAD", MANIFEST_TYPES);
        ok(r, "reading the manifest of " + tag);
        String digest = r.headers().firstValue("Docker-Content-Digest").orElse("");
        if (!digest.matches("sha256:[0-9a-f]{64}")) {
            throw new RegistryException("registry " + url + ": the manifest of " + tag + " has no sha256 digest", false);
        }
        return digest;
    }

    /** RFC 8288's next link, absolute or relative to the registry; null when there is none. */
    static String nextLink(String header) {
        if (header == null) {
            return null;
        }
        for (String link : header.split(",")) {
            String[] parts = link.trim().split(";");
            if (parts.length < 2 || !parts[0].trim().startsWith("<") || !parts[0].trim().endsWith(">")) {
                continue;
            }
            for (int i = 1; i < parts.length; i++) {
                if (parts[i].trim().replace(" ", "").equals("rel=\"next\"")) {
                    String target = parts[0].trim();
                    return target.substring(1, target.length() - 1);
                }
            }
        }
        return null;
    }

    private HttpResponse<String> send(String pathOrUrl, String method, String accept)
            throws IOException, InterruptedException {
        URI uri = URI.create(pathOrUrl.startsWith("/") ? scheme + "://" + host + pathOrUrl : pathOrUrl);
        HttpResponse<String> r = client().send(request(uri, method, accept), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 401) {
            String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
            if (challenge.regionMatches(true, 0, "Bearer ", 0, 7)) {
                bearer = token(challenge);
                r = client().send(request(uri, method, accept), HttpResponse.BodyHandlers.ofString());
            }
            if (r.statusCode() == 401) {
                throw new RegistryException("registry " + url + ": access denied (401"
                        + (basic == null ? "; set DOCKER_USERNAME and DOCKER_PASSWORD" : "; check the credentials")
                        + ")", false);
            }
        }
        return r;
    }

    private HttpRequest request(URI uri, String method, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Accept", accept)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        } else if (basic != null) {
            b.header("Authorization", "Basic " + basic);
        }
        return b.build();
    }

    /** Answers a {@code Bearer realm="...",service="...",scope="..."} challenge with a token from the realm. */
    private String token(String challenge) throws IOException, InterruptedException {
        Map<String, String> params = challengeParams(challenge.substring(7));
        String realm = params.get("realm");
        if (realm == null || !(realm.startsWith("https://") || realm.startsWith("http://"))) {
            throw new RegistryException("registry " + url + ": its token challenge names no http(s) realm", false);
        }
        StringBuilder q = new StringBuilder();
        for (String key : List.of("service", "scope")) {
            if (params.containsKey(key)) {
                q.append(q.length() == 0 ? "" : "&").append(key).append('=')
                        .append(URLEncoder.encode(params.get(key), StandardCharsets.UTF_8));
            }
        }
        URI uri = URI.create(realm + (q.length() == 0 ? "" : (realm.contains("?") ? "&" : "?") + q));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
        if (basic != null) {
            b.header("Authorization", "Basic " + basic);
        }
        HttpResponse<String> r = client().send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw new RegistryException("registry " + url + ": the token service refused the credentials ("
                    + r.statusCode() + ")", false);
        }
        if (r.statusCode() != 200) {
            throw new RegistryException("registry " + url + ": the token service answered " + r.statusCode(), true);
        }
        JsonObject body = parse(r.body());
        for (String key : List.of("token", "access_token")) {
            if (body.has(key) && !body.get(key).getAsString().isEmpty()) {
                return body.get(key).getAsString();
            }
        }
        throw new RegistryException("registry " + url + ": the token service sent no token", false);
    }

    /** {@code k="v",k2="v2"} (values may hold commas inside quotes). */
    static Map<String, String> challengeParams(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        while (i < text.length()) {
            int eq = text.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String key = text.substring(i, eq).trim().replaceFirst("^,", "").trim();
            int start = eq + 1;
            String value;
            if (start < text.length() && text.charAt(start) == '"') {
                int end = text.indexOf('"', start + 1);
                end = end < 0 ? text.length() : end;
                value = text.substring(start + 1, end);
                i = end + 1;
            } else {
                int end = text.indexOf(',', start);
                end = end < 0 ? text.length() : end;
                value = text.substring(start, end).trim();
                i = end;
            }
            out.put(key.toLowerCase(Locale.ROOT), value);
            while (i < text.length() && (text.charAt(i) == ',' || text.charAt(i) == ' ')) {
                i++;
            }
        }
        return out;
    }

    private void ok(HttpResponse<String> r, String what) throws RegistryException {
        int s = r.statusCode();
        if (s / 100 != 2) {
            throw new RegistryException("registry " + url + ": " + what + ": " + s, s == 429 || s >= 500);
        }
    }

    private JsonObject parse(String body) throws RegistryException {
        try {
            return JsonParser.parseString(body).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new RegistryException("registry " + url + ": not a JSON answer", true);
        }
    }

    private synchronized HttpClient client() {
        if (client == null) {
            HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(10));
            if (proxies != null) { // null: no proxy in the environment
                b.proxy(proxies);
            }
            client = b.build();
        }
        return client;
    }
}
