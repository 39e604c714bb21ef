package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gs://} against the Firebase emulator suite's Cloud Storage emulator ({@link GcsEmulator}), on 127.0.0.1. */
class GcsStoreTest {
    private static final String BUCKET = "releases";
    private static final String LINUX = "app_linux_amd64.tar.gz";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static GcsEmulator gcs;

    @BeforeAll
    static void start() throws Exception {
        gcs = GcsEmulator.start(BUCKET);
    }

    @AfterAll
    static void stop() throws Exception {
        gcs.close();
    }

    private static Map<String, String> env() {
        return Map.of(GcsStore.EMULATOR_HOST, gcs.host());
    }

    private static Registry registry(String url) {
        return Registry.parse(url, env(), "linux", "amd64", null, null);
    }

    private static void publish(String prefix, String tag) {
        gcs.put(BUCKET, prefix + tag + "/" + LINUX, "content of " + tag);
        gcs.put(BUCKET, prefix + tag + "/app_darwin_arm64.tar.gz", "mac");
        gcs.put(BUCKET, prefix + tag + "/checksums.txt",
                ReleaseFixtures.sha256(("content of " + tag).getBytes(StandardCharsets.UTF_8)) + "  " + LINUX + "\n");
    }

    @Test
    void newestSemVerOfThePrefixWithItsArtifactAndChecksums() throws Exception {
        for (String tag : List.of("v1.0.0", "v1.2.0", "v1.10.0", "v2.0.0-rc.1", ".v3.0.0", "nightly")) {
            publish("semver/app/", tag);
        }
        publish("semver/other/", "v9.0.0"); // another prefix of the same bucket
        gcs.put(BUCKET, "semver/app/v5.0.0.txt", "an object beside the folders, not a release");

        Release r = registry("gs://releases/semver/app").latest();
        assertEquals("v1.10.0", r.tag());
        assertEquals(LINUX, r.artifact().name());
        assertEquals("gs://releases/semver/app/v1.10.0/" + LINUX, r.artifact().location().toString());
        assertEquals("checksums.txt", r.checksums().name());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        registry("gs://releases/semver/app").copy(r.artifact(), out, 1 << 20, TIMEOUT);
        assertEquals("content of v1.10.0", out.toString(StandardCharsets.UTF_8));

        assertEquals("v2.0.0-rc.1", registry("gs://releases/semver/app/?pre-release=true").latest().tag());
        assertEquals("app_darwin_arm64.tar.gz",
                registry("gs://releases/semver/app?artifact=app_darwin_arm64.tar.gz").latest().artifact().name());
        assertNull(registry("gs://releases/semver/none").latest());
    }

    @Test
    void calverTagsWithCalverFormat() throws Exception {
        for (String tag : List.of("v2026.12.01.1", "v2026.12.02.0", "v2026.11.30.9", "v1.99.0")) {
            publish("calver/", tag);
        }
        assertEquals("v2026.12.02.0", registry("gs://releases/calver?calver=YYYY.0M.0D.MICRO").latest().tag());
    }

    @Test
    void everyPageOfAListing() throws Exception {
        // The emulator pages the objects of a listing (not its folders): a release of 7 objects, 2 a page.
        for (int i = 0; i < 5; i++) {
            gcs.put(BUCKET, "paged/v1.0.0/notes-" + i + ".txt", "n");
        }
        publish("paged/", "v1.0.0");
        GcsStore store = new GcsStore(BUCKET, "registry gs://releases/paged", env(), 2);
        assertEquals(8, store.objects("paged/v1.0.0/").size());
        Release r = new ObjectStoreRegistry("gs://releases/paged", store, "paged/",
                RegistryOptions.parse(null, "gs://releases/paged"), "linux", "amd64").latest();
        assertEquals(LINUX, r.artifact().name()); // the artifact and the checksums sort after the first pages
        assertEquals("checksums.txt", r.checksums().name());
    }

    @Test
    void aMissingBucketIsOneClearPermanentError() {
        RegistryException e = assertThrows(RegistryException.class, () -> registry("gs://no-such-bucket/app").latest());
        assertEquals("registry gs://no-such-bucket/app: bucket no-such-bucket does not exist (404)", e.getMessage());
        assertFalse(e.isTransient());
    }

    @Test
    void aMissingObjectIsAnError() {
        Registry r = registry("gs://releases/missing");
        Asset gone = new Asset(LINUX, java.net.URI.create("gs://releases/missing/v1.0.0/" + LINUX), 3);
        RegistryException e = assertThrows(RegistryException.class,
                () -> r.copy(gone, new ByteArrayOutputStream(), 1 << 20, TIMEOUT));
        assertTrue(e.getMessage().startsWith("registry gs://releases/missing: gs://releases/missing/v1.0.0/" + LINUX
                + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("404"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void theSizeLimitHolds() {
        gcs.put(BUCKET, "big/v1.0.0/" + LINUX, new byte[300_000]);
        Registry r = registry("gs://releases/big");
        RegistryException e = assertThrows(RegistryException.class, () -> r.copy(r.latest().artifact(),
                new ByteArrayOutputStream(), 100_000, TIMEOUT));
        assertTrue(e.getMessage().endsWith("exceeds the size limit of 100000 bytes"), e.getMessage());
    }

    @Test
    void theShippingReportIsATextObjectBesideTheRelease() throws Exception {
        publish("shipped/", "v1.0.0");
        ShippingReport report = ShippingReport.of("Web-1", "server", Instant.parse("2026-12-02T10:00:00Z"));
        registry("gs://releases/shipped").report("v1.0.0", report);
        Blob b = gcs.storage().get(BlobId.of(BUCKET, "shipped/v1.0.0/" + report.name()));
        assertEquals("shipped/v1.0.0/shipped_to_web-1_server_at_20261202T100000.000000000Z.txt", b.getName());
        assertEquals("text/plain", b.getContentType());
        assertArrayEquals(new byte[0], b.getContent()); // Go dewy's: the name is the report
        assertEquals("v1.0.0", registry("gs://releases/shipped").latest().tag()); // not taken for an asset
    }

    @Test
    void aShippingReportTheBucketRefusesIsOneLine() {
        ShippingReport report = ShippingReport.of("web-1", "server", Instant.parse("2026-12-02T10:00:00Z"));
        RegistryException e = assertThrows(RegistryException.class,
                () -> registry("gs://no-such-bucket/app").report("v1.0.0", report));
        assertEquals("registry gs://no-such-bucket/app: bucket no-such-bucket does not exist (404)", e.getMessage());
    }

    @Test
    void badCredentialsAreOneLineWithoutTheFilesContent(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("key.json");
        Files.writeString(key, "{\"type\": \"service_account\", \"private_key\": \"SECRET-KEY-MATERIAL\"}");
        Registry r = Registry.parse("gs://releases/app", Map.of(GcsStore.CREDENTIALS_FILE, key.toString()),
                "linux", "amd64", null, null);
        RegistryException e = assertThrows(RegistryException.class, r::latest);
        assertEquals("registry gs://releases/app: bad credentials: GOOGLE_APPLICATION_CREDENTIALS=" + key
                + " is not a readable Google credentials file (IOException)", e.getMessage());
        assertFalse(e.isTransient());

        Registry missing = Registry.parse("gs://releases/app",
                Map.of(GcsStore.CREDENTIALS_FILE, dir.resolve("none.json").toString()), "linux", "amd64", null, null);
        assertTrue(assertThrows(RegistryException.class, missing::latest).getMessage()
                .endsWith("none.json is not a readable Google credentials file (NoSuchFileException)"));
    }

    @Test
    void badUrls() {
        assertEquals("bad registry url \"gs:///app\": bucket is required: want gs://BUCKET/PREFIX",
                assertThrows(IllegalArgumentException.class, () -> registry("gs:///app")).getMessage());
        assertEquals("bad registry url \"gs://My_Bucket/app\": \"My_Bucket\" is not a bucket name (3-63 lowercase"
                + " letters, digits, -, _ and .): want gs://BUCKET/PREFIX",
                assertThrows(IllegalArgumentException.class, () -> registry("gs://My_Bucket/app")).getMessage());
        assertEquals("bad registry url: gs:// takes no credentials (GOOGLE_APPLICATION_CREDENTIALS or Application"
                + " Default Credentials)",
                assertThrows(IllegalArgumentException.class, () -> registry("gs://k:secret@b/app")).getMessage());
        assertEquals("bad registry url \"gs://releases/app?region=x\": unknown parameter \"region\" (known: artifact,"
                + " pre-release, calver)",
                assertThrows(IllegalArgumentException.class, () -> registry("gs://releases/app?region=x"))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> registry("s4://x")).getMessage()
                .endsWith("want ghr://OWNER/REPO, file:///DIR, s3://REGION/BUCKET/PREFIX or gs://BUCKET/PREFIX"));
        assertTrue(GcsStore.validBucket("my-releases.example.com"));
        assertFalse(GcsStore.validBucket("ab"));
        assertFalse(GcsStore.validBucket("a".repeat(64)));
        assertFalse(GcsStore.validBucket("google-x".replace("google", "goog")));
    }

    @Test
    void theRegistryIsLoadedOnlyForGsUrls() {
        assertEquals("ObjectStoreRegistry[gs://releases/app]", registry("gs://releases/app").toString());
    }
}
