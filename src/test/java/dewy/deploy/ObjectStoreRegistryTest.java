package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The layout and choices every bucket registry shares, over a map of keys (the stores themselves are tested against
 * real servers: S3Proxy, the GCS stand-in).
 */
class ObjectStoreRegistryTest {
    private static final String LINUX = "app_linux_amd64.tar.gz";

    /** Keys and their bytes; folders and objects answered as a delimiter listing would. */
    private static final class MapStore implements ObjectStore {
        final TreeMap<String, byte[]> objects = new TreeMap<>();
        final List<String> listed = new ArrayList<>();

        @Override
        public String scheme() {
            return "s3";
        }

        @Override
        public String bucket() {
            return "bucket";
        }

        @Override
        public List<String> folders(String prefix) {
            listed.add("folders " + prefix);
            Set<String> folders = new java.util.TreeSet<>();
            for (String key : objects.keySet()) {
                int slash = key.indexOf('/', prefix.length());
                if (key.startsWith(prefix) && slash > 0) {
                    folders.add(key.substring(0, slash + 1));
                }
            }
            return List.copyOf(folders);
        }

        @Override
        public List<StoredObject> objects(String folder) {
            listed.add("objects " + folder);
            return objects.entrySet().stream()
                    .filter(e -> e.getKey().startsWith(folder) && e.getKey().indexOf('/', folder.length()) < 0)
                    .map(e -> new StoredObject(e.getKey(), e.getValue().length)).toList();
        }

        @Override
        public void copy(String key, OutputStream out, long maxBytes, Duration timeout) throws java.io.IOException {
            out.write(objects.get(key));
        }

        @Override
        public void put(String key, byte[] body) {
            objects.put(key, body);
        }

        void publish(String folder, String tag) {
            objects.put(folder + tag + "/" + LINUX, ("content of " + tag).getBytes(StandardCharsets.UTF_8));
            objects.put(folder + tag + "/app_darwin_arm64.tar.gz", "mac".getBytes(StandardCharsets.UTF_8));
            objects.put(folder + tag + "/checksums.txt", "x".getBytes(StandardCharsets.UTF_8));
        }
    }

    private final MapStore store = new MapStore();

    private ObjectStoreRegistry registry(String prefix, String query) {
        RegistryOptions options = RegistryOptions.parse(query, "s3://r/bucket/" + prefix, Set.of("endpoint"));
        return new ObjectStoreRegistry("s3://r/bucket/" + prefix, store, ObjectStoreRegistry.prefix(prefix), options,
                "linux", "amd64");
    }

    @Test
    void theNewestVersionFolderUnderThePrefixWithItsPlatformsArtifact() throws Exception {
        for (String tag : List.of("v1.9.0", "v1.10.0", "v1.2.0", "nightly", ".v2.0.0", "v1.11.0-rc.1")) {
            store.publish("apps/shop/", tag);
        }
        store.publish("apps/other/", "v9.0.0"); // another prefix
        store.objects.put("apps/shop/v1.10.0/deeper/app_linux_arm64.tar.gz", new byte[1]); // in a subfolder: not an asset
        Release r = registry("apps/shop", null).latest();
        assertEquals("v1.10.0", r.tag());
        assertEquals(LINUX, r.artifact().name());
        assertEquals("content of v1.10.0".length(), r.artifact().size());
        assertEquals(URI.create("s3://bucket/apps/shop/v1.10.0/" + LINUX), r.artifact().location());
        assertEquals("checksums.txt", r.checksums().name());
        assertEquals(List.of("folders apps/shop/", "objects apps/shop/v1.10.0/"), store.listed,
                "two listings: the versions, then the chosen one's files");

        assertEquals("v1.11.0-rc.1", registry("apps/shop/", "pre-release=true").latest().tag());
        assertEquals("app_darwin_arm64.tar.gz",
                registry("apps/shop", "artifact=app_darwin_arm64.tar.gz").latest().artifact().name());
    }

    @Test
    void anEmptyPrefixIsTheBucketsTopAndAnEmptyBucketHasNoRelease() throws Exception {
        assertNull(registry("", null).latest());
        store.publish("", "v1.0.0");
        assertEquals("v1.0.0", registry("", null).latest().tag());
        assertEquals("", ObjectStoreRegistry.prefix("/"));
        assertEquals("a/b/", ObjectStoreRegistry.prefix("/a/b"));
    }

    @Test
    void copyReadsTheAssetsKeyAndRefusesAnotherBucket() throws Exception {
        store.publish("p/", "v1.0.0");
        ObjectStoreRegistry r = registry("p", null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.copy(r.latest().artifact(), out, 1 << 20, Duration.ofSeconds(5));
        assertEquals("content of v1.0.0", out.toString(StandardCharsets.UTF_8));
        RegistryException e = assertThrows(RegistryException.class, () -> r.copy(
                new Asset(LINUX, URI.create("s3://elsewhere/p/v1.0.0/" + LINUX), 1), out, 10, Duration.ofSeconds(1)));
        assertEquals("registry s3://r/bucket/p: " + LINUX + " is not in this bucket", e.getMessage());
    }

    @Test
    void theShippingReportIsAnEmptyObjectInTheReleasesFolder() throws Exception {
        store.publish("p/", "v1.0.0");
        ShippingReport report = ShippingReport.of("Web-1", "server", Instant.parse("2026-12-02T10:00:00Z"));
        registry("p", null).report("v1.0.0", report);
        assertArrayEquals(new byte[0], store.objects.get("p/v1.0.0/" + report.name()));
        assertEquals("p/v1.0.0/shipped_to_web-1_server_at_20261202T100000.000000000Z.txt",
                "p/v1.0.0/" + report.name());
        assertThrows(RegistryException.class, () -> registry("p", null).report("../x", report));
    }

    @Test
    void storeParametersAreTakenOnceAndOthersRefused() {
        assertEquals("http://127.0.0.1:9000",
                RegistryOptions.parse("endpoint=http%3A%2F%2F127.0.0.1%3A9000", "u", Set.of("endpoint")).store("endpoint"));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> RegistryOptions.parse("region=x", "s3://u", Set.of("endpoint")));
        assertEquals("bad registry url \"s3://u\": unknown parameter \"region\" (known: artifact, pre-release, calver, "
                + "endpoint)", unknown.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RegistryOptions.parse("endpoint=a&endpoint=b", "s3://u", Set.of("endpoint"))).getMessage()
                .endsWith("endpoint= wants one value"));
        assertThrows(IllegalArgumentException.class, () -> RegistryOptions.parse("endpoint=x", "file:///d"),
                "file:// takes no endpoint");
        assertEquals(Map.of(), RegistryOptions.parse(null, "u", Set.of("endpoint")).store());
    }
}
