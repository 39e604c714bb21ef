package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * {@link S3Store} under {@link ObjectStoreRegistry} against a real S3-compatible server (S3Proxy on 127.0.0.1): the
 * newest SemVer of a prefix, listings of more than one page, downloads with their limits, the shipping report
 * object, and one clear line for a missing bucket, refused credentials and an endpoint that is down.
 */
class S3StoreTest {
    private static final String LINUX = "app_linux_amd64.tar.gz";
    private static final AwsCredentialsProvider KEYS = StaticCredentialsProvider.create(
            AwsBasicCredentials.create(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY));
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @TempDir
    static Path tmp;
    private static S3Proxy s3;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        s3 = S3Proxy.start(tmp.resolve("s3proxy"));
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }

    private static String newBucket() {
        String bucket = "releases-" + BUCKETS.incrementAndGet();
        s3.createBucket(bucket);
        return bucket;
    }

    /** A registry on this server with {@code credentials} (null: the SDK's default chain). */
    private static Registry registry(String bucket, String prefix, String query, AwsCredentialsProvider credentials) {
        String url = "s3://" + S3Proxy.REGION + "/" + bucket + "/" + prefix + (query.isEmpty() ? "" : "?" + query);
        RegistryOptions options = RegistryOptions.parse(query.isEmpty() ? null : query, url, java.util.Set.of(
                "endpoint"));
        return new ObjectStoreRegistry(url, new S3Store(url, S3Proxy.REGION, bucket, s3.endpoint(), credentials),
                ObjectStoreRegistry.prefix(prefix), options, "linux", "amd64");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theNewestSemVerOfThePrefixWithItsArtifactAndChecksums() throws Exception {
        String bucket = newBucket();
        for (String tag : List.of("v1.2.0", "v1.10.0", "v1.9.0", "v2.0.0-rc.1", "nightly")) {
            s3.publish(bucket, "apps/shop/", tag, LINUX, bytes("artifact " + tag), bytes("sums " + tag));
        }
        s3.put(bucket, "apps/shop/.v3.0.0/" + LINUX, bytes("being published"));
        s3.put(bucket, "apps/other/v9.0.0/" + LINUX, bytes("another prefix"));
        s3.put(bucket, "apps/shop/v1.10.0/sub/" + LINUX, bytes("a subfolder's"));

        Registry r = registry(bucket, "apps/shop", "", KEYS);
        Release release = r.latest();
        assertEquals("v1.10.0", release.tag());
        assertEquals(LINUX, release.artifact().name());
        assertEquals(URI.create("s3://" + bucket + "/apps/shop/v1.10.0/" + LINUX), release.artifact().location());
        assertEquals(bytes("artifact v1.10.0").length, release.artifact().size());
        assertEquals("checksums.txt", release.checksums().name());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.copy(release.artifact(), out, 1024, Duration.ofSeconds(10));
        assertArrayEquals(bytes("artifact v1.10.0"), out.toByteArray());
        assertEquals("sums v1.10.0", r.text(release.checksums(), Duration.ofSeconds(10)));

        assertEquals("v2.0.0-rc.1", registry(bucket, "apps/shop/", "pre-release=true", KEYS).latest().tag());
        assertNull(registry(bucket, "apps/none/", "", KEYS).latest(), "an empty prefix has no release yet");

        RegistryException big = assertThrows(RegistryException.class,
                () -> r.copy(release.artifact(), new ByteArrayOutputStream(), 5, Duration.ofSeconds(10)));
        assertTrue(big.getMessage().contains("exceeds the size limit of 5 bytes"), big.getMessage());
        assertFalse(big.isTransient());
    }

    @Test
    void aBucketWithNoPrefixAndCalVerTags() throws Exception {
        String bucket = newBucket();
        for (String tag : List.of("v2026.11.30.1", "v2026.12.01.0", "v1.2.3")) {
            s3.publish(bucket, "", tag, LINUX, bytes(tag), null);
        }
        assertEquals("v2026.12.01.0", registry(bucket, "", "calver=YYYY.0M.0D.MICRO", KEYS).latest().tag());
        assertEquals("v1.2.3", registry(bucket, "", "", KEYS).latest().tag());
    }

    @Test
    void listingsPastOneThousandKeysReadEveryPage() throws Exception {
        String bucket = newBucket();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> puts = new java.util.ArrayList<>();
            for (int i = 0; i < 1_050; i++) { // the newest is on the second page
                String tag = "v1.0." + i;
                puts.add(pool.submit(() -> s3.put(bucket, "p/" + tag + "/" + LINUX, bytes(tag))));
            }
            for (int i = 0; i < 1_010; i++) { // the release folder itself: its artifact sorts last
                String name = "notes-" + String.format("%04d", i) + ".txt";
                puts.add(pool.submit(() -> s3.put(bucket, "p/v1.0.1049/" + name, bytes(name))));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        // S3Proxy pages as S3 does: 1,000 keys (or common prefixes) at most per response
        assertTrue(s3.client().listObjectsV2(b -> b.bucket(bucket).prefix("p/").delimiter("/")).isTruncated());
        assertTrue(s3.client().listObjectsV2(b -> b.bucket(bucket).prefix("p/v1.0.1049/").delimiter("/"))
                .isTruncated());

        S3Store store = new S3Store("s3://x", S3Proxy.REGION, bucket, s3.endpoint(), KEYS);
        assertEquals(1_050, store.folders("p/").size());
        assertEquals(1_011, store.objects("p/v1.0.1049/").size());
        Release release = registry(bucket, "p/", "artifact=" + LINUX, KEYS).latest();
        assertEquals("v1.0.1049", release.tag());
        assertEquals(LINUX, release.artifact().name());
    }

    @Test
    void theShippingReportIsAnEmptyTextObjectBesideTheRelease() throws Exception {
        String bucket = newBucket();
        s3.publish(bucket, "app/", "v1.2.3", LINUX, bytes("a"), null);
        Registry r = registry(bucket, "app/", "", KEYS);
        ShippingReport report = ShippingReport.of("Web-1", "server", Instant.parse("2026-12-02T10:20:30.123456789Z"));
        r.report("v1.2.3", report);
        String key = "app/v1.2.3/shipped_to_web-1_server_at_20261202T102030.123456789Z.txt";
        assertTrue(s3.keys(bucket, "app/v1.2.3/").contains(key), s3.keys(bucket, "app/").toString());
        HeadObjectResponse head = s3.client().headObject(b -> b.bucket(bucket).key(key));
        assertEquals(0L, head.contentLength());
        assertTrue(head.contentType().startsWith("text/plain"), head.contentType());
        assertEquals("v1.2.3", r.latest().tag(), "the report is no release and no artifact");
        assertThrows(RegistryException.class, () -> r.report("nightly", report));
    }

    @Test
    void aMissingBucketIsOneLineAndNotTransient() {
        RegistryException e = assertThrows(RegistryException.class,
                () -> registry("no-such-bucket", "app/", "", KEYS).latest());
        assertEquals("registry s3://us-east-1/no-such-bucket/app/: listing app/: no bucket no-such-bucket "
                + "(NoSuchBucket, 404)", e.getMessage());
        assertFalse(e.isTransient());
    }

    @Test
    void refusedCredentialsAreOneLineWithoutTheSecret() {
        String bucket = newBucket();
        String wrongSecret = "wrong-secret-never-to-be-printed-42";
        for (AwsCredentialsProvider creds : List.of(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Proxy.ACCESS_KEY, wrongSecret)),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIAUNKNOWN", wrongSecret)))) {
            RegistryException e = assertThrows(RegistryException.class,
                    () -> registry(bucket, "app/", "", creds).latest());
            assertTrue(e.getMessage().startsWith("registry s3://us-east-1/" + bucket + "/app/: listing app/: "),
                    e.getMessage());
            assertTrue(e.getMessage().contains("(403)") && e.getMessage().contains("check the AWS credentials"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            assertFalse(e.getMessage().contains(wrongSecret), e.getMessage());
            assertFalse(e.getMessage().contains(S3Proxy.SECRET_KEY), e.getMessage());
            assertFalse(e.isTransient());
        }
    }

    @Test
    void anEndpointThatIsDownIsTransient() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        S3Store store = new S3Store("s3://us-east-1/b/", S3Proxy.REGION, "b", URI.create("http://127.0.0.1:" + port),
                KEYS);
        RegistryException e = assertThrows(RegistryException.class, () -> store.folders(""));
        assertTrue(e.isTransient(), e.getMessage());
        assertTrue(e.getMessage().startsWith("registry s3://us-east-1/b/: listing the bucket: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void theDefaultChainReadsTheKeysAndTheUrlItsEndpoint() throws Exception {
        String bucket = newBucket();
        s3.publish(bucket, "x/", "v0.1.0", LINUX, bytes("a"), null);
        // The SDK's default chain: Java system properties come before the environment (which this JVM lacks).
        System.setProperty("aws.accessKeyId", S3Proxy.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3Proxy.SECRET_KEY);
        try {
            Registry viaParam = Registry.parse(s3.url(bucket, "x"), Map.of());
            assertEquals("v0.1.0", viaParam.latest().tag());
            Registry viaEnv = Registry.parse("s3://us-east-1/" + bucket + "/x/", Map.of("AWS_ENDPOINT_URL",
                    s3.endpoint().toString()));
            assertEquals("v0.1.0", viaEnv.latest().tag());
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    @Test
    void urls() {
        ObjectStoreRegistry r = (ObjectStoreRegistry) Registry.parse("s3://ap-northeast-1/my-releases/myapp", Map.of());
        assertEquals("s3://ap-northeast-1/my-releases/myapp", r.describe());
        for (String url : List.of("s3://", "s3:///bucket/x", "s3://us-east-1", "s3://us-east-1/", "s3://US_EAST/b",
                "s3://us-east-1:9000/b", "s3://us-east-1/b/p#f", "s3://us-east-1/b?nope=1",
                "s3://us-east-1/b?endpoint=", "s3://us-east-1/b?endpoint=ftp://h", "s3://us-east-1/b?endpoint=h:9000",
                "s3://us-east-1/b?endpoint=http://a&endpoint=http://b", "s3://us-east-1/b?pre-release=maybe")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Registry.parse(url,
                    Map.of()), url);
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        assertEquals("bad registry url \"s3://us-east-1/\": want s3://REGION/BUCKET/PREFIX (no bucket)",
                assertThrows(IllegalArgumentException.class, () -> Registry.parse("s3://us-east-1/", Map.of()))
                        .getMessage());
        IllegalArgumentException secret = assertThrows(IllegalArgumentException.class,
                () -> Registry.parse("s3://AKIA:s3cr3t@us-east-1/b/p", Map.of()));
        assertFalse(secret.getMessage().contains("s3cr3t"), secret.getMessage());
        assertEquals("s3://***@us-east-1/b/p", Registry.redact("s3://AKIA:s3cr3t@us-east-1/b/p"));
        assertEquals("ghr://***@o/r?artifact=a@b", Registry.redact("ghr://ghp_x@o/r?artifact=a@b"));
        assertEquals("s3://us-east-1/b/p?endpoint=http://u@h", Registry.redact("s3://us-east-1/b/p?endpoint=http://u@h"));
        assertEquals("file:///srv/a@b", Registry.redact("file:///srv/a@b"));
        assertEquals("AWS_ENDPOINT_URL wants http(s)://HOST[:PORT] (an S3-compatible endpoint)",
                assertThrows(IllegalArgumentException.class, () -> Registry.parse("s3://us-east-1/b",
                        Map.of("AWS_ENDPOINT_URL", "minio:9000"))).getMessage());
        assertEquals("unsupported scheme \"gopher\": want ghr://OWNER/REPO, file:///DIR, s3://REGION/BUCKET/PREFIX or gs://BUCKET/PREFIX",
                assertThrows(IllegalArgumentException.class, () -> Registry.parse("gopher://x", Map.of()))
                        .getMessage());
    }
}
