package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRegistryTest {
    private static final String LINUX = "app_linux_amd64.tar.gz";
    private static final Duration T = Duration.ofSeconds(10);

    @TempDir
    Path root;

    private Path releases() {
        return root.resolve("releases");
    }

    private Registry registry(String query) {
        return Registry.parse(releases().toUri().toString().replaceFirst("/$", "") + query, Map.of(), "linux", "amd64", null, null);
    }

    private Path publish(String tag) throws IOException {
        Path d = Files.createDirectories(releases().resolve(tag));
        Files.writeString(d.resolve(LINUX), "content of " + tag);
        Files.writeString(d.resolve("app_darwin_arm64.tar.gz"), "mac");
        Files.writeString(d.resolve("checksums.txt"), "x");
        return d;
    }

    @Test
    void picksTheHighestSemVer() throws Exception {
        publish("v1.9.0");
        publish("v1.10.0");
        publish("v1.2.0");
        publish("nightly");
        Release r = registry("").latest();
        assertEquals("v1.10.0", r.tag());
        assertEquals(LINUX, r.artifact().name());
        assertEquals("content of v1.10.0".length(), r.artifact().size());
        assertEquals("checksums.txt", r.checksums().name());
    }

    @Test
    void aSlotTakesTheNewestTagWithItsBuildMetadataOnly() throws Exception {
        publish("v1.0.0+blue");
        publish("v1.1.0+green");
        publish("v1.2.0"); // no slot: not blue's
        publish("v0.9.0+blue");
        String dir = releases().toUri().toString().replaceFirst("/$", "");
        Registry blue = Registry.parse(dir, Map.of(), "linux", "amd64", null, "blue");
        assertEquals("v1.0.0+blue", blue.latest().tag());
        assertEquals("v1.1.0+green", Registry.parse(dir, Map.of(), "linux", "amd64", null, "green").latest().tag());
        assertEquals("v1.2.0", registry("").latest().tag(), "without --slot every tag counts");
        assertNull(Registry.parse(dir, Map.of(), "linux", "amd64", null, "red").latest(), "no red release yet");
        assertNull(blue.version("v1.1.0+green"), "another slot's tag is none of blue's");
        assertEquals("v1.0.0+blue", blue.version("v1.0.0+blue").tag());
        publish("v1.3.0-rc.1+blue");
        assertEquals("v1.0.0+blue", blue.latest().tag(), "pre-releases only with pre-release=true");
        assertEquals("v1.3.0-rc.1+blue", Registry.parse(dir + "?pre-release=true", Map.of(), "linux", "amd64", null,
                "blue").latest().tag());
    }

    @Test
    void calverReadsCalendarTagsFromTheUrlOrTheFlag() throws Exception {
        // four segments and leading zeros: none of these is SemVer
        publish("2026.11.30.7");
        publish("v2026.12.02.0");
        publish("2026.12.02.1-rc.1");
        publish("v9.9.9"); // SemVer: not this format
        publish("2026.12.02.0+blue");
        String dir = releases().toUri().toString().replaceFirst("/$", "");
        assertEquals("v2026.12.02.0", registry("?calver=YYYY.0M.0D.MICRO").latest().tag());
        assertEquals("v2026.12.02.0", Registry.parse(dir, Map.of(), "linux", "amd64", "YYYY.0M.0D.MICRO", null)
                .latest().tag());
        assertEquals("2026.12.02.1-rc.1", registry("?calver=YYYY.0M.0D.MICRO&pre-release=true").latest().tag());
        assertEquals("2026.12.02.0+blue", Registry.parse(dir, Map.of(), "linux", "amd64", "YYYY.0M.0D.MICRO", "blue")
                .latest().tag());
        assertEquals("v9.9.9", registry("").latest().tag(), "without calver, SemVer");
        assertMessage("invalid calver format: calver format \"foo\" contains no valid specifiers",
                () -> registry("?calver=foo"));
        assertMessage("invalid --calver format: calver format is empty",
                () -> Registry.parse(dir, Map.of(), "linux", "amd64", "", null));
        assertMessage("its calver=YYYY.MICRO is not --calver YYYY.0M0D.MICRO",
                () -> Registry.parse(dir + "?calver=YYYY.MICRO", Map.of(), "linux", "amd64", "YYYY.0M0D.MICRO", null));
        assertMessage("--slot \"a b\": a slot is a tag's build metadata",
                () -> Registry.parse(dir, Map.of(), "linux", "amd64", null, "a b"));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        String m = assertThrows(IllegalArgumentException.class, e).getMessage();
        assertTrue(m.contains(part), m);
    }

    /** Go dewy's shipping report: a file in the release's directory, which the next listing does not mistake. */
    @Test
    void aShippingReportIsAFileInTheRelease() throws Exception {
        publish("v1.0.0");
        ShippingReport report = ShippingReport.of("web-1", "server", java.time.Instant.parse("2026-12-02T03:00:00Z"));
        registry("").report("v1.0.0", report);
        assertEquals("shipped to web-1 server at 20261202T030000.000000000Z",
                Files.readString(releases().resolve("v1.0.0").resolve(report.name())));
        Release r = registry("").latest();
        assertEquals(LINUX, r.artifact().name(), "the report is not taken for the artifact");
        assertEquals("checksums.txt", r.checksums().name(), "nor for the checksums");
        assertThrows(RegistryException.class, () -> registry("").report("../x", report));
        assertThrows(RegistryException.class, () -> registry("").report("v2.0.0", report));
    }

    @Test
    void hiddenEntriesAreNeverRead() throws Exception {
        publish("v1.0.0");
        publish(".v2.0.0"); // being published
        Files.createDirectories(releases().resolve("v1.0.0").resolve(".hidden.tar.gz"));
        Files.writeString(releases().resolve("v1.0.0").resolve(".app_linux_amd64.zip"), "partial");
        Release r = registry("").latest();
        assertEquals("v1.0.0", r.tag());
        assertEquals(LINUX, r.artifact().name(), "the hidden zip would make the choice ambiguous");
        Files.move(releases().resolve(".v2.0.0"), releases().resolve("v2.0.0"));
        assertEquals("v2.0.0", registry("").latest().tag());
    }

    @Test
    void preReleasesOnlyWhenAsked() throws Exception {
        publish("v1.0.0");
        publish("v1.1.0-rc.1");
        assertEquals("v1.0.0", registry("").latest().tag());
        assertEquals("v1.1.0-rc.1", registry("?pre-release=true").latest().tag());
    }

    @Test
    void filesNamedLikeTagsAreNotReleases() throws Exception {
        publish("v1.0.0");
        Files.writeString(releases().resolve("v2.0.0"), "a file");
        assertEquals("v1.0.0", registry("").latest().tag());
    }

    @Test
    void emptyDirectoryIsNull() throws Exception {
        Files.createDirectories(releases());
        assertNull(registry("").latest());
    }

    @Test
    void missingDirectoryIsTransient() {
        RegistryException e = assertThrows(RegistryException.class, () -> registry("").latest());
        assertTrue(e.isTransient());
        assertTrue(e.getMessage().startsWith("registry file:"), e.getMessage());
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void explicitArtifactAndNoMatch() throws Exception {
        Path d = Files.createDirectories(releases().resolve("v1.0.0"));
        Files.writeString(d.resolve("server.jar"), "jar");
        assertEquals("server.jar", registry("?artifact=server.jar").latest().artifact().name());
        RegistryException e = assertThrows(RegistryException.class, () -> registry("").latest());
        assertFalse(e.isTransient());
        assertTrue(e.getMessage().endsWith("release v1.0.0 has no asset for linux/amd64 (assets: server.jar); "
                + "set artifact=NAME"), e.getMessage());
    }

    @Test
    void downloadAndText() throws Exception {
        publish("v1.0.0");
        Registry reg = registry("");
        Release r = reg.latest();
        Path file = Files.writeString(root.resolve("out"), "longer old content to be truncated");
        ReleaseFixtures.download(reg, r.artifact(), file, 1000, T);
        assertEquals("content of v1.0.0", Files.readString(file));
        assertEquals("x", reg.text(r.checksums(), T));
    }

    @Test
    void downloadOverTheLimitIsRefused() throws Exception {
        publish("v1.0.0");
        Registry reg = registry("");
        Release r = reg.latest();
        RegistryException e = assertThrows(RegistryException.class,
                () -> ReleaseFixtures.download(reg, r.artifact(), root.resolve("out"), 5, T));
        assertFalse(e.isTransient());
        assertTrue(e.getMessage().endsWith(LINUX + " exceeds the size limit of 5 bytes"), e.getMessage());
    }

    @Test
    void assetGoneSinceListingIsTransient() throws Exception {
        Path d = publish("v1.0.0");
        Registry reg = registry("");
        Release r = reg.latest();
        Files.delete(d.resolve(LINUX));
        RegistryException e = assertThrows(RegistryException.class,
                () -> ReleaseFixtures.download(reg, r.artifact(), root.resolve("out"), 1000, T));
        assertTrue(e.isTransient(), e.getMessage());
    }

    @Test
    void badUrls() {
        for (String url : List.of("file:relative/dir", "file://host/dir", "file:///d?x=1", "file:///d?pre-release=1",
                "file:///d#x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Registry.parse(url, Map.of()), url);
            assertFalse(e.getMessage().contains("\n"));
        }
        assertFalse(assertThrows(IllegalArgumentException.class,
                () -> Registry.parse("file://u:pw@localhost/d", Map.of())).getMessage().contains("pw"));
        assertEquals("file:///srv/releases?pre-release=true",
                Registry.parse("file:///srv/releases?pre-release=true", Map.of()).describe());
        Registry.parse("file://localhost/srv/releases", Map.of());
    }
}
