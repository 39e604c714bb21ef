package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ServerSocket;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitHubRegistryTest {
    private static final String LINUX = "app_linux_amd64.tar.gz";
    private static final Duration T = Duration.ofSeconds(10);

    private FakeGitHub gh;
    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        gh = new FakeGitHub().start();
    }

    @AfterEach
    void stop() {
        gh.close();
    }

    private Registry registry(String query, String token) {
        return Registry.parse(gh.registryUrl() + query, gh.env(token), "linux", "amd64", null, null);
    }

    private void publish(String tag, boolean draft, boolean prerelease) {
        gh.release(tag, draft, prerelease).asset(LINUX, tag).asset("app_darwin_arm64.tar.gz", "mac " + tag)
                .checksums("checksums.txt");
    }

    @Test
    void picksTheHighestSemVerAcrossPagesNotTheNewestOrFirst() throws Exception {
        gh.perPage(2);
        publish("v1.10.0", false, false); // published first: listed last, on the last page
        publish("v1.9.0", false, false);
        publish("nightly", false, false);
        publish("v1.2.0", false, false); // a backport: newest by date, listed first
        Release r = registry("", null).latest();
        assertEquals("v1.10.0", r.tag());
        assertEquals(SemVer.parse("v1.10.0"), r.version());
        assertEquals(LINUX, r.artifact().name());
        assertEquals("v1.10.0".length(), r.artifact().size());
        assertEquals("checksums.txt", r.checksums().name());
        assertEquals(2, gh.listCalls(), "both pages read");
        assertTrue(gh.requests().get(1).contains("page=2"), gh.requests().toString());
    }

    @Test
    void pageCapIsTenPages() throws Exception {
        gh.perPage(1);
        for (int i = 1; i <= 12; i++) {
            publish("v1.0." + i, false, false);
        }
        Release r = registry("", null).latest();
        assertEquals(10, gh.listCalls());
        assertEquals("v1.0.12", r.tag(), "the newest ten are read");
    }

    @Test
    void draftsNeverEvenWithPreReleases() throws Exception {
        publish("v1.0.0", false, false);
        publish("v9.0.0", true, false);
        publish("v8.0.0-rc.1", true, true);
        assertEquals("v1.0.0", registry("", null).latest().tag());
        assertEquals("v1.0.0", registry("?pre-release=true", null).latest().tag());
    }

    @Test
    void preReleasesOnlyWhenAsked() throws Exception {
        publish("v1.0.0", false, false);
        publish("v1.1.0", false, true); // GitHub's flag
        publish("v1.0.1-rc.1", false, false); // a SemVer pre-release, flag or not
        assertEquals("v1.0.0", registry("", null).latest().tag());
        assertEquals("v1.1.0", registry("?pre-release=true", null).latest().tag());
        assertEquals("v1.0.0", registry("?pre-release=false", null).latest().tag());
    }

    @Test
    void semVerPreReleaseCountsEvenUnflagged() throws Exception {
        publish("v1.0.0", false, false);
        publish("v2.0.0-beta.1", false, false);
        assertEquals("v1.0.0", registry("", null).latest().tag());
        assertEquals("v2.0.0-beta.1", registry("?pre-release=true", null).latest().tag());
    }

    @Test
    void slotsAndCalVerAcrossPages() throws Exception {
        gh.perPage(2);
        publish("v1.1.0+green", false, false);
        publish("v1.0.0+blue", false, false);
        publish("v1.2.0-rc.1+blue", false, false);
        publish("v2026.12.02.3+blue", false, false); // not SemVer: four segments, leading zeros
        publish("2026.12.01.9+blue", false, false);
        Registry blue = Registry.parse(gh.registryUrl(), gh.env(null), "linux", "amd64", null, "blue");
        assertEquals("v1.0.0+blue", blue.latest().tag(), "the newest SemVer of blue's, past green's");
        assertEquals("v1.1.0+green", Registry.parse(gh.registryUrl(), gh.env(null), "linux", "amd64", null, "green")
                .latest().tag());
        assertEquals("v2026.12.02.3+blue", Registry.parse(gh.registryUrl() + "?calver=YYYY.0M.0D.MICRO",
                gh.env(null), "linux", "amd64", null, "blue").latest().tag());
        assertEquals("v2026.12.02.3+blue", Registry.parse(gh.registryUrl(), gh.env(null), "linux", "amd64",
                "YYYY.0M.0D.MICRO", null).latest().tag());
    }

    /** Go dewy's shipping report: an asset of the release, uploaded to its upload_url with the token. */
    @Test
    void aShippingReportIsUploadedToTheRelease() throws Exception {
        gh.requireToken("t0ken");
        publish("v1.0.0", false, false);
        publish("v1.1.0+blue", false, false);
        ShippingReport report = ShippingReport.of("web-1", "server", java.time.Instant.parse("2026-12-02T03:00:00Z"));
        registry("", "t0ken").report("v1.1.0+blue", report);
        assertEquals(List.of(new FakeGitHub.Upload("v1.1.0+blue", report.name(), "text/plain", "Bearer t0ken",
                "shipped to web-1 server at 20261202T030000.000000000Z")), gh.uploads());
        RegistryException again = org.junit.jupiter.api.Assertions.assertThrows(RegistryException.class,
                () -> registry("", "t0ken").report("v1.1.0+blue", report));
        assertTrue(again.getMessage().contains("422"), again.getMessage());
        RegistryException missing = org.junit.jupiter.api.Assertions.assertThrows(RegistryException.class,
                () -> registry("", "t0ken").report("v9.9.9", report));
        assertTrue(missing.getMessage().contains("/repos/o/r/releases/tags/v9.9.9: 404"), missing.getMessage());
    }

    @Test
    void noEligibleReleaseIsNull() throws Exception {
        assertNull(registry("", null).latest());
        publish("latest", false, false);
        publish("v1.0.0", true, false);
        publish("v1.0.0-rc.1", false, true);
        assertNull(registry("", null).latest());
    }

    @Test
    void explicitArtifactAndNoMatchMessage() throws Exception {
        gh.release("v1.0.0", false, false).asset("server.jar", "jar").asset("a.zip", "a");
        assertEquals("server.jar", registry("?artifact=server.jar", null).latest().artifact().name());
        assertNull(registry("?artifact=server.jar", null).latest().checksums());
        RegistryException e = assertThrows(RegistryException.class, () -> registry("", null).latest());
        assertEquals("registry ghr://o/r: release v1.0.0 has no asset for linux/amd64 (assets: server.jar, a.zip); "
                + "set artifact=NAME", e.getMessage());
        assertFalse(e.isTransient());
    }

    @Test
    void ownChecksumFilePreferred() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, "x").checksums("checksums.txt").asset(LINUX + ".sha256",
                "y");
        assertEquals(LINUX + ".sha256", registry("", null).latest().checksums().name());
    }

    @Test
    void githubHeadersAndTokenOnApiRequests() throws Exception {
        publish("v1.0.0", false, false);
        registry("", "t0k").latest();
        Map<String, String> h = gh.lastHeaders();
        assertEquals("Bearer t0k", h.get("authorization"));
        assertEquals("application/vnd.github+json", h.get("accept"));
        assertEquals("2022-11-28", h.get("x-github-api-version"));
        assertTrue(h.get("user-agent").startsWith("dewy/"), h.get("user-agent"));
    }

    @Test
    void ghTokenIsTheFallbackAndNoTokenSendsNone() throws Exception {
        publish("v1.0.0", false, false);
        Map<String, String> env = gh.env(null);
        env.put("GH_TOKEN", "gh-tok");
        Registry.parse(gh.registryUrl(), env, "linux", "amd64", null, null).latest();
        assertEquals("Bearer gh-tok", gh.lastHeaders().get("authorization"));
        env.put("GITHUB_TOKEN", "github-tok");
        Registry.parse(gh.registryUrl(), env, "linux", "amd64", null, null).latest();
        assertEquals("Bearer github-tok", gh.lastHeaders().get("authorization"));
        registry("", null).latest();
        assertNull(gh.lastHeaders().get("authorization"));
    }

    @Test
    void tokenGoesToTheApiButNotToAnotherHost() throws Exception {
        gh.crossHostDownloads(true);
        publish("v1.0.0", false, false);
        Registry reg = registry("", "s3cret");
        Release r = reg.latest();
        Path file = dir.resolve("a");
        ReleaseFixtures.download(reg, r.artifact(), file, 1000, T);
        assertEquals("v1.0.0", Files.readString(file));
        List<String> req = gh.requests();
        assertTrue(req.get(0).startsWith("GET /repos/o/r/releases?per_page=100 ") && req.get(0).endsWith("+auth"),
                req.toString());
        assertTrue(req.get(1).startsWith("GET /repos/o/r/releases/assets/") && req.get(1).endsWith("+auth"),
                req.toString());
        assertTrue(req.get(2).startsWith("GET /cdn/") && req.get(2).endsWith("-auth"), req.toString());
        assertEquals("application/octet-stream", gh.lastHeaders().get("accept"));
        assertNull(gh.lastHeaders().get("x-github-api-version"), "GitHub's headers stay with GitHub too");
        assertEquals(3, req.size());
    }

    @Test
    void sameHostRedirectKeepsTheToken() throws Exception {
        publish("v1.0.0", false, false);
        Registry reg = registry("", "s3cret");
        ReleaseFixtures.download(reg, reg.latest().artifact(), dir.resolve("a"), 1000, T);
        String last = gh.requests().get(gh.requests().size() - 1);
        assertTrue(last.startsWith("GET /download/") && last.endsWith("+auth"), last);
    }

    @Test
    void textReadsChecksumFiles() throws Exception {
        publish("v1.0.0", false, false);
        Registry reg = registry("", null);
        Release r = reg.latest();
        String text = reg.text(r.checksums(), T);
        assertEquals(Checksums.sha256(write("v1.0.0")), Checksums.expected(text, LINUX));
    }

    @Test
    void serverErrorIsTransient() throws Exception {
        publish("v1.0.0", false, false);
        gh.fail(503, 1);
        RegistryException e = assertThrows(RegistryException.class, () -> registry("", "tok").latest());
        assertEquals("registry ghr://o/r: GET /repos/o/r/releases: 503 Service Unavailable", e.getMessage());
        assertTrue(e.isTransient());
        assertNotNull(registry("", "tok").latest(), "answers again once the failure is over");
    }

    @Test
    void rateLimitIsTransientWithRetryAfter() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        gh.rateLimit(1, now + 120);
        RegistryException e = assertThrows(RegistryException.class, () -> registry("", null).latest());
        assertTrue(e.isTransient(), e.getMessage());
        assertNotNull(e.retryAfter());
        assertTrue(e.retryAfter().toSeconds() >= 115 && e.retryAfter().toSeconds() <= 120, e.retryAfter().toString());
        assertTrue(e.getMessage().startsWith("registry ghr://o/r: GET /repos/o/r/releases: 403 Forbidden (rate limited"),
                e.getMessage());
    }

    @Test
    void rateLimitResetInThePastIsZero() {
        RegistryException e = GitHubRegistry.statusError("x", 403,
                headers(Map.of("x-ratelimit-remaining", "0", "x-ratelimit-reset", "1000")), false, 5000);
        assertTrue(e.isTransient());
        assertEquals(Duration.ZERO, e.retryAfter());
    }

    @Test
    void retryAfterHeader() {
        RegistryException e = GitHubRegistry.statusError("x", 429, headers(Map.of("retry-after", "7")), false, 0);
        assertTrue(e.isTransient());
        assertEquals(Duration.ofSeconds(7), e.retryAfter());
        RegistryException date = GitHubRegistry.statusError("x", 503,
                headers(Map.of("retry-after", "Thu, 01 Jan 1970 00:01:40 GMT")), false, 40);
        assertEquals(Duration.ofSeconds(60), date.retryAfter());
        // GitHub's secondary rate limit: 403 with Retry-After
        assertTrue(GitHubRegistry.statusError("x", 403, headers(Map.of("retry-after", "60")), false, 0).isTransient());
    }

    @Test
    void plainForbiddenAndOtherClientErrorsAreNotTransient() {
        assertFalse(GitHubRegistry.statusError("x", 403, headers(Map.of("x-ratelimit-remaining", "12")), true, 0)
                .isTransient());
        assertFalse(GitHubRegistry.statusError("x", 422, headers(Map.of()), true, 0).isTransient());
        assertEquals("x: 401 Unauthorized (check GITHUB_TOKEN)",
                GitHubRegistry.statusError("x", 401, headers(Map.of()), true, 0).getMessage());
        assertTrue(GitHubRegistry.statusError("x", 500, headers(Map.of()), true, 0).isTransient());
        assertNull(GitHubRegistry.statusError("x", 500, headers(Map.of()), true, 0).retryAfter());
    }

    @Test
    void notFoundIsNotTransient() throws Exception {
        gh.requireToken("right");
        publish("v1.0.0", false, false);
        RegistryException e = assertThrows(RegistryException.class, () -> registry("", null).latest());
        assertFalse(e.isTransient());
        assertEquals("registry ghr://o/r: GET /repos/o/r/releases: 404 Not Found (a private repository needs "
                + "GITHUB_TOKEN)", e.getMessage());
        RegistryException wrong = assertThrows(RegistryException.class, () -> registry("", "wrong").latest());
        assertFalse(wrong.getMessage().contains("wrong"), "never the token");
        assertEquals("v1.0.0", registry("", "right").latest().tag());
    }

    @Test
    void malformedJsonIsNotTransient() {
        for (String body : List.of("{not json", "{\"message\":\"x\"}", "[{\"tag_name\":5}]", "[1]",
                "[{\"tag_name\":\"v1.0.0\",\"draft\":\"no\"}]",
                "[{\"tag_name\":\"v1.0.0\",\"assets\":[{\"name\":\"" + LINUX + "\"}]}]")) {
            gh.listBody(body);
            RegistryException e = assertThrows(RegistryException.class, () -> registry("", null).latest(), body);
            assertFalse(e.isTransient(), body);
            assertTrue(e.getMessage().startsWith("registry ghr://o/r: GET /repos/o/r/releases: malformed JSON: "),
                    e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void connectionRefusedIsTransient() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Map<String, String> env = new HashMap<>();
        env.put("GITHUB_API_URL", "http://127.0.0.1:" + port + "/");
        RegistryException e = assertThrows(RegistryException.class,
                () -> Registry.parse("ghr://o/r", env, "linux", "amd64", null, null).latest());
        assertTrue(e.isTransient());
        assertTrue(e.getMessage().startsWith("registry ghr://o/r: GET /repos/o/r/releases: "), e.getMessage());
    }

    @Test
    void aReleaseListPageOverTheLimitIsRefusedAsItArrives() throws Exception {
        publish("v1.0.0", false, false);
        for (boolean chunked : new boolean[] {false, true}) { // with a Content-Length, and counted as it streams
            gh.bigListPages(32L << 20, chunked);
            RegistryException e = assertThrows(RegistryException.class, () -> registry("", null).latest());
            assertFalse(e.isTransient(), "a page that size is not going to shrink by itself");
            assertEquals("registry ghr://o/r: GET /repos/o/r/releases exceeds the size limit of 8388608 bytes",
                    e.getMessage());
        }
        gh.bigListPages(7L << 20, true); // under the limit: read, and the release after the big notes is found
        assertEquals("v1.0.0", registry("", null).latest().tag());
    }

    @Test
    void valuesOfTheWrongTypeAreSkippedOrRefusedWithoutBuildingThem() throws Exception {
        // a "size" that is not a long is unknown; a huge exponent is never computed; unknown fields are skipped
        gh.listBody("[{\"tag_name\":\"v1.0.0\",\"body\":[[[[1,2,{\"a\":[]}]]]],\"assets\":[{\"name\":\"" + LINUX
                + "\",\"url\":\"" + gh.apiUrl() + "/x\",\"size\":1e999999999,\"state\":\"uploaded\"}]},"
                + "{\"tag_name\":\"v0.9.0\",\"assets\":[1,2]}]");
        Release r = registry("", null).latest();
        assertEquals("v1.0.0", r.tag());
        assertEquals(-1, r.artifact().size());
        // a malformed asset list matters only for the release that is picked
        gh.listBody("[{\"tag_name\":\"v1.0.0\",\"assets\":[1]}]");
        RegistryException e = assertThrows(RegistryException.class, () -> registry("", null).latest());
        assertEquals("registry ghr://o/r: GET /repos/o/r/releases: malformed JSON: want an object, got NUMBER",
                e.getMessage());
        gh.listBody("[{\"tag_name\":\"v1.0.0\"}] trailing");
        assertThrows(RegistryException.class, () -> registry("", null).latest());
    }

    @Test
    void downloadOverTheLimitIsRefused() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, new byte[5000]);
        Registry reg = registry("", null);
        Release r = reg.latest();
        RegistryException e = assertThrows(RegistryException.class,
                () -> ReleaseFixtures.download(reg, r.artifact(), dir.resolve("a"), 4999, T));
        assertEquals("registry ghr://o/r: " + LINUX + " exceeds the size limit of 4999 bytes", e.getMessage());
        assertFalse(e.isTransient());
        ReleaseFixtures.download(reg, r.artifact(), dir.resolve("b"), 5000, T);
        assertEquals(5000, Files.size(dir.resolve("b")));
    }

    @Test
    void downloadTruncatesAnExistingFile() throws Exception {
        publish("v1.0.0", false, false);
        Registry reg = registry("", null);
        Path file = Files.writeString(dir.resolve("a"), "x".repeat(100));
        ReleaseFixtures.download(reg, reg.latest().artifact(), file, 1000, T);
        assertEquals("v1.0.0", Files.readString(file));
    }

    @Test
    void largeFileIsStreamed() throws Exception {
        Path big = dir.resolve("big");
        byte[] chunk = new byte[1 << 20];
        new java.util.Random(3).nextBytes(chunk);
        try (var out = Files.newOutputStream(big)) {
            for (int i = 0; i < 20; i++) {
                out.write(chunk);
            }
        }
        gh.release("v1.0.0", false, false).asset(LINUX, big);
        Registry reg = registry("", null);
        Path file = dir.resolve("copy");
        ReleaseFixtures.download(reg, reg.latest().artifact(), file, 20L << 20, T);
        assertEquals(Checksums.sha256(big), Checksums.sha256(file));
    }

    @Test
    void stalledBodyHitsTheTimeout() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, new byte[100_000]);
        gh.stall(LINUX);
        Registry reg = registry("", null);
        Asset a = reg.latest().artifact();
        long t0 = System.nanoTime();
        RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(
                RegistryException.class, () -> ReleaseFixtures.download(reg, a, dir.resolve("a"), 1 << 20, Duration.ofMillis(700))));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 600 && ms < 5000, ms + " ms");
        assertTrue(e.isTransient());
        assertEquals("registry ghr://o/r: " + LINUX + ": timed out after 700 ms", e.getMessage());
    }

    @Test
    void interruptStopsAStalledDownloadPromptly() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, new byte[100_000]);
        gh.stall(LINUX);
        Registry reg = registry("", null);
        Asset a = reg.latest().artifact();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                ReleaseFixtures.download(reg, a, dir.resolve("a"), 1 << 20, Duration.ofSeconds(60));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        waitFor(() -> gh.downloads() == 1);
        Thread.sleep(200); // into the stalled read
        long t0 = System.nanoTime();
        t.interrupt();
        t.join(5000);
        assertFalse(t.isAlive());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 1000);
        Throwable e = thrown.get();
        assertTrue(e instanceof InterruptedException || e instanceof InterruptedIOException, String.valueOf(e));
    }

    @Test
    void badUrls() {
        for (String url : List.of("ghr://only-owner", "ghr://", "ghr://o/", "ghr:///r", "ghr://o/r/x",
                "ghr://o/r?nope=1", "ghr://o/r?pre-release=yes", "ghr://o/r?artifact=", "ghr://o/r?artifact=a&artifact=b",
                "ghr://o w/r", "ghr://o/..", "ghr://o/r#frag", "s3:///bucket/x", "", "https://github.com/o/r")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Registry.parse(url, Map.of()), url);
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertFalse(e.getMessage().isEmpty());
        }
        assertEquals("bad registry url \"ghr://only-owner\": want ghr://OWNER/REPO",
                assertThrows(IllegalArgumentException.class, () -> Registry.parse("ghr://only-owner", Map.of()))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Registry.parse("ghr://o/r?x=1", Map.of()))
                .getMessage().contains("unknown parameter \"x\""));
    }

    @Test
    void credentialsInTheUrlAreNeverEchoed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Registry.parse("ghr://ghp_secret@o/r", Map.of()));
        assertFalse(e.getMessage().contains("ghp_secret"), e.getMessage());
        IllegalArgumentException api = assertThrows(IllegalArgumentException.class,
                () -> Registry.parse("ghr://o/r", Map.of("GITHUB_API_URL", "https://u:ghp_secret@h")));
        assertFalse(api.getMessage().contains("ghp_secret"), api.getMessage());
    }

    @Test
    void describeIsTheUrlAndNeverTheToken() {
        Registry r = Registry.parse("ghr://o/r?artifact=a+b.zip", Map.of("GITHUB_TOKEN", "ghp_secret"));
        assertEquals("ghr://o/r?artifact=a+b.zip", r.describe());
        assertFalse(r.toString().contains("ghp_secret"));
    }

    @Test
    void artifactPlusIsLiteralAndPercentEscapesDecode() throws Exception {
        gh.release("v1.0.0", false, false).asset("a+b c.zip", "x");
        assertEquals("a+b c.zip", registry("?artifact=a+b%20c.zip", null).latest().artifact().name());
    }

    private Path write(String content) throws IOException {
        return Files.writeString(Files.createTempFile(dir, "c", ""), content, StandardCharsets.UTF_8);
    }

    private static HttpHeaders headers(Map<String, String> m) {
        Map<String, List<String>> lists = new HashMap<>();
        m.forEach((k, v) -> lists.put(k, List.of(v)));
        return HttpHeaders.of(lists, (a, b) -> true);
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 500 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean(), "condition not met within 5 s");
    }

    @Test
    void downloadBodyMatches() throws Exception {
        byte[] content = new byte[70_000];
        new java.util.Random(5).nextBytes(content);
        gh.release("v1.0.0", false, false).asset(LINUX, content);
        Registry reg = registry("", null);
        Path file = dir.resolve("x");
        ReleaseFixtures.download(reg, reg.latest().artifact(), file, content.length, T);
        assertArrayEquals(content, Files.readAllBytes(file));
    }

    @Test
    void httpProxyCarriesEveryRequestAndNoProxyBypassesIt() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, "artifact").checksums("checksums.txt");
        int port = java.net.URI.create(gh.apiUrl()).getPort();
        try (dewy.net.RecordingProxy proxy = new dewy.net.RecordingProxy()) {
            // api.invalid never resolves: only the proxy (which sends it to 127.0.0.1) can reach the fake
            Map<String, String> env = new HashMap<>(Map.of("GITHUB_API_URL", "http://api.invalid:" + port,
                    "HTTP_PROXY", proxy.url(), "GITHUB_TOKEN", "t0ken"));
            Registry viaProxy = Registry.parse("ghr://o/r", env, "linux", "amd64", null, null);
            Release r = viaProxy.latest();
            assertEquals("v1.0.0", r.tag());
            ReleaseFixtures.download(viaProxy, r.artifact(), dir.resolve("a"), 1000, T);
            assertEquals("artifact", Files.readString(dir.resolve("a")));
            assertTrue(proxy.seen().get(0).startsWith("GET http://api.invalid:" + port + "/repos/o/r/releases"),
                    proxy.seen().toString());
            assertTrue(proxy.seen().size() >= 3, "the list, the asset and its redirect: " + proxy.seen());

            env.put("NO_PROXY", "api.invalid");
            int before = proxy.seen().size();
            RegistryException e = assertThrows(RegistryException.class,
                    () -> Registry.parse("ghr://o/r", env, "linux", "amd64", null, null).latest());
            assertTrue(e.isTransient(), e.getMessage());
            assertEquals(before, proxy.seen().size(), "NO_PROXY: straight to api.invalid, which does not resolve");
        }
    }

    @Test
    void anUnusableProxyIsRefusedWhenTheRegistryIsParsed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Registry.parse("ghr://o/r", Map.of("HTTPS_PROXY", "http://u:pw@proxy:1"), "linux", "amd64", null, null));
        assertEquals("HTTPS_PROXY: proxy credentials are not supported", e.getMessage());
    }
}
