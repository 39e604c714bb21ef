package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FetcherTest {
    private static final String LINUX = "app_linux_amd64.tar.gz";
    private static final Duration T = Duration.ofSeconds(10);
    private static final byte[] CONTENT = "the artifact".getBytes(StandardCharsets.UTF_8);

    private FakeGitHub gh;
    private Registry registry;
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
    private Fetcher fetcher;
    @TempDir
    Path cache;

    @BeforeEach
    void start() throws IOException {
        gh = new FakeGitHub().start();
        registry = Registry.parse(gh.registryUrl(), gh.env("tok"), "linux", "amd64", null, null);
        fetcher = new Fetcher(registry, sleeps::add);
    }

    @AfterEach
    void stop() {
        gh.close();
    }

    private static String sha(byte[] b) {
        return ReleaseFixtures.sha256(b);
    }

    private List<String> cacheFiles() throws IOException {
        try (Stream<Path> s = Files.walk(cache)) {
            return s.filter(p -> !p.equals(cache)).map(p -> cache.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void downloadsVerifiesAndCaches() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT).asset("other_darwin_arm64.zip", "x")
                .checksums("checksums.txt");
        Release r = registry.latest();
        Path p = fetcher.fetch(r, cache, 1000, T, true);
        assertEquals(cache.resolve("v1.0.0").resolve(LINUX), p);
        assertEquals("the artifact", Files.readString(p));
        assertEquals(List.of("v1.0.0", "v1.0.0/" + LINUX, "v1.0.0/" + LINUX + ".verified"), cacheFiles());
        assertTrue(Files.readString(p.resolveSibling(LINUX + ".verified")).contains(sha(CONTENT)));
        assertEquals(1, gh.downloads(LINUX));
        assertEquals(1, gh.downloads("checksums.txt"));

        int requests = gh.requests().size();
        Path again = new Fetcher(registry, sleeps::add).fetch(r, cache, 1000, T, true); // as after a restart
        assertEquals(p, again);
        assertEquals(requests, gh.requests().size(), "no request at all: " + gh.requests());
        assertEquals(List.of(), sleeps);
    }

    @Test
    void theDownloadIsHashedAsItStreamsInNotReadBack() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT).checksums("checksums.txt");
        Release r = registry.latest();
        Path part = cache.resolve("v1.0.0").resolve(LINUX + ".part");
        Registry rewritesThePartAfterItsBytesWereWritten = new DelegatingRegistry(registry) {
            @Override
            public void copy(Asset asset, java.io.OutputStream out, long maxBytes, Duration timeout)
                    throws IOException, InterruptedException {
                super.copy(asset, out, maxBytes, timeout);
                if (!asset.name().equals(LINUX)) {
                    return;
                }
                out.flush();
                // a fetcher that reads the file back would hash these bytes and refuse the release
                Files.write(part, "X".repeat(CONTENT.length).getBytes(StandardCharsets.UTF_8));
            }
        };
        Path p = new Fetcher(rewritesThePartAfterItsBytesWereWritten, sleeps::add).fetch(r, cache, 1000, T, true);
        assertTrue(Files.readString(p.resolveSibling(LINUX + ".verified")).contains("sha256=" + sha(CONTENT)));
    }

    @Test
    void damagedCacheIsDownloadedAgain() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT).checksums("checksums.txt");
        Release r = registry.latest();
        Path p = fetcher.fetch(r, cache, 1000, T, true);
        Files.writeString(p, "tampered");
        fetcher.fetch(r, cache, 1000, T, true);
        assertEquals("the artifact", Files.readString(p));
        assertEquals(2, gh.downloads(LINUX));
    }

    @Test
    void checksumMismatchIsRefusedAndLeavesNothing() throws Exception {
        String wrong = sha("something else".getBytes(StandardCharsets.UTF_8));
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT).asset("checksums.txt", wrong + "  " + LINUX + "\n");
        VerificationException e = assertThrows(VerificationException.class,
                () -> fetcher.fetch(registry.latest(), cache, 1000, T, false));
        assertEquals("checksum mismatch for " + LINUX + ": expected " + wrong + ", got " + sha(CONTENT),
                e.getMessage());
        assertEquals(List.of(), cacheFiles());
        assertEquals(List.of(), sleeps, "never retried");
    }

    @Test
    void ownShaFileWithABareDigest() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT).asset(LINUX + ".sha256", sha(CONTENT) + "\n");
        Path p = fetcher.fetch(registry.latest(), cache, 1000, T, true);
        assertEquals("the artifact", Files.readString(p));
    }

    @Test
    void checksumFileWithoutAnEntryForTheArtifact() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT).asset("checksums.txt",
                sha(CONTENT) + "  app_linux_arm64.tar.gz\n");
        VerificationException e = assertThrows(VerificationException.class,
                () -> fetcher.fetch(registry.latest(), cache, 1000, T, false));
        assertEquals("release v1.0.0: checksums.txt lists no sha256 for " + LINUX, e.getMessage());
        assertEquals(0, gh.downloads(LINUX));
        assertEquals(1, gh.downloads("checksums.txt"));
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void requireChecksum() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT);
        Release r = registry.latest();
        VerificationException e = assertThrows(VerificationException.class,
                () -> fetcher.fetch(r, cache, 1000, T, true));
        assertEquals("release v1.0.0 has no checksum for " + LINUX + " (--require-checksum)", e.getMessage());
        assertEquals(0, gh.downloads());
        assertEquals(List.of(), cacheFiles());
        // without the flag: deployed unverified, and cached as such
        Path p = fetcher.fetch(r, cache, 1000, T, false);
        assertEquals("the artifact", Files.readString(p));
        assertTrue(Files.readString(p.resolveSibling(LINUX + ".verified")).contains("checksum=none"));
    }

    @Test
    void uncheckedCacheIsVerifiedOnceAChecksumAppears() throws Exception {
        FakeGitHub.ReleaseBuilder b = gh.release("v1.0.0", false, false).asset(LINUX, CONTENT);
        fetcher.fetch(registry.latest(), cache, 1000, T, false);
        b.asset("checksums.txt", "0".repeat(64) + "  " + LINUX + "\n");
        Release r = registry.latest();
        assertThrows(VerificationException.class, () -> fetcher.fetch(r, cache, 1000, T, true));
    }

    @Test
    void oversizedIsRefusedBeforeDownloading() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT).checksums("checksums.txt");
        RegistryException e = assertThrows(RegistryException.class,
                () -> fetcher.fetch(registry.latest(), cache, CONTENT.length - 1, T, true));
        assertFalse(e.isTransient());
        assertTrue(e.getMessage().endsWith("exceeds the size limit of " + (CONTENT.length - 1) + " bytes"),
                e.getMessage());
        assertEquals(0, gh.downloads());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void oversizedBodyIsRefusedWhileStreaming() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT);
        Release listed = registry.latest();
        // a registry that announced no size (or a wrong one): the byte count still stops it
        Release r = new Release(listed.tag(), listed.version(),
                new Asset(LINUX, listed.artifact().location(), -1), null);
        RegistryException e = assertThrows(RegistryException.class,
                () -> fetcher.fetch(r, cache, CONTENT.length - 1, T, false));
        assertFalse(e.isTransient());
        assertTrue(e.getMessage().contains("exceeds the size limit"), e.getMessage());
        assertEquals(List.of(), cacheFiles());
        assertEquals(List.of(), sleeps);
    }

    @Test
    void transientErrorsAreRetriedWithBackoff() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT).checksums("checksums.txt");
        Release r = registry.latest();
        gh.fail(502, 2); // the checksum file, twice
        Path p = fetcher.fetch(r, cache, 1000, T, true);
        assertEquals("the artifact", Files.readString(p));
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), sleeps);
    }

    @Test
    void retriesGiveUpAfterThree() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT);
        Release r = registry.latest();
        gh.fail(503, 100);
        RegistryException e = assertThrows(RegistryException.class, () -> fetcher.fetch(r, cache, 1000, T, false));
        assertTrue(e.isTransient());
        assertTrue(e.getMessage().contains("503 Service Unavailable"), e.getMessage());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4)), sleeps);
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void notFoundIsNotRetried() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT);
        Release r = registry.latest();
        gh.fail(404, 1);
        RegistryException e = assertThrows(RegistryException.class, () -> fetcher.fetch(r, cache, 1000, T, false));
        assertFalse(e.isTransient());
        assertEquals(List.of(), sleeps);
    }

    @Test
    void longRateLimitIsLeftToTheNextPoll() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT);
        Release r = registry.latest();
        gh.rateLimit(1, System.currentTimeMillis() / 1000 + 3600);
        RegistryException e = assertThrows(RegistryException.class, () -> fetcher.fetch(r, cache, 1000, T, false));
        assertTrue(e.isTransient());
        assertEquals(List.of(), sleeps);
        gh.rateLimit(1, System.currentTimeMillis() / 1000 + 30);
        fetcher.fetch(r, cache, 1000, T, false);
        assertEquals(1, sleeps.size());
        assertTrue(sleeps.get(0).toSeconds() >= 25 && sleeps.get(0).toSeconds() <= 30, sleeps.toString());
    }

    @Test
    void stalledBodyHitsTheTimeoutOnEveryAttempt() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, new byte[100_000]);
        gh.stall(LINUX);
        Release r = registry.latest();
        RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(
                RegistryException.class, () -> fetcher.fetch(r, cache, 1 << 20, Duration.ofMillis(300), false)));
        assertTrue(e.isTransient());
        assertTrue(e.getMessage().endsWith(LINUX + ": timed out after 300 ms"), e.getMessage());
        assertEquals(4, gh.downloads(LINUX));
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void interruptAbandonsTheDownloadCleanly() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, new byte[100_000]);
        gh.stall(LINUX);
        Release r = registry.latest();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                fetcher.fetch(r, cache, 1 << 20, Duration.ofSeconds(60), false);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        GitHubRegistryTest.waitFor(() -> gh.downloads() == 1);
        GitHubRegistryTest.waitFor(() -> Files.exists(cache.resolve("v1.0.0").resolve(LINUX + ".part")));
        Thread.sleep(200); // into the stalled read
        long t0 = System.nanoTime();
        t.interrupt();
        t.join(5000);
        assertFalse(t.isAlive());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 1000);
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertEquals(List.of(), cacheFiles());
        assertEquals(List.of(), sleeps);
    }

    @Test
    void interruptDuringBackoffStopsAtOnce() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT);
        Release r = registry.latest();
        gh.fail(503, 1);
        Fetcher interrupted = new Fetcher(registry, d -> {
            throw new InterruptedException("stop");
        });
        assertThrows(InterruptedException.class, () -> interrupted.fetch(r, cache, 1000, T, false));
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void unsafeNamesAreRefused() throws Exception {
        gh.release("v1.0.0", false, false).asset(LINUX, CONTENT);
        Release ok = registry.latest();
        for (Release r : List.of(new Release("..", ok.version(), ok.artifact(), null),
                new Release("v1.0.0", ok.version(), new Asset("../x", ok.artifact().location(), 1), null))) {
            assertThrows(VerificationException.class, () -> fetcher.fetch(r, cache, 1000, T, false));
        }
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void fileRegistryFetch(@TempDir Path releases) throws Exception {
        Path d = Files.createDirectories(releases.resolve("v2.0.0"));
        Files.write(d.resolve(LINUX), CONTENT);
        Files.writeString(d.resolve("SHA256SUMS"), sha(CONTENT) + " *" + LINUX + "\n");
        Registry files = Registry.parse(releases.toUri().toString(), java.util.Map.of(), "linux", "amd64", null, null);
        Path p = new Fetcher(files, sleeps::add).fetch(files.latest(), cache, 1000, T, true);
        assertEquals("the artifact", Files.readString(p));
    }
}
