package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ArtifactsTest {
    private static String select(List<String> names, String artifact, String arch) throws RegistryException {
        return Artifacts.select("v1.2.3", names, artifact, "linux", arch);
    }

    @Test
    void goreleaserDefaults() throws Exception {
        List<String> names = List.of("app_1.2.3_checksums.txt", "app_1.2.3_darwin_amd64.tar.gz",
                "app_1.2.3_darwin_arm64.tar.gz", "app_1.2.3_linux_amd64.tar.gz", "app_1.2.3_linux_arm64.tar.gz",
                "app_1.2.3_windows_amd64.zip");
        assertEquals("app_1.2.3_linux_amd64.tar.gz", select(names, null, "amd64"));
        assertEquals("app_1.2.3_linux_amd64.tar.gz", select(names, null, "x86_64"));
        assertEquals("app_1.2.3_linux_arm64.tar.gz", select(names, null, "aarch64"));
        assertEquals("app_1.2.3_linux_arm64.tar.gz", select(names, null, "arm64"));
    }

    @Test
    void archAliasesInNamesAndCase() throws Exception {
        assertEquals("App-Linux-x86_64.tgz", select(List.of("App-Linux-x86_64.tgz", "App-Linux-aarch64.tgz"), null,
                "amd64"));
        assertEquals("App-Linux-aarch64.tgz", select(List.of("App-Linux-x86_64.tgz", "App-Linux-aarch64.tgz"), null,
                "arm64"));
        assertEquals("app.LINUX.AMD64.ZIP", select(List.of("app.LINUX.AMD64.ZIP"), null, "amd64"));
        assertEquals("app-linux-amd64.tar", select(List.of("app-linux-amd64.tar"), null, "amd64"));
    }

    @Test
    void archMustBeAWordNotAPrefix() throws Exception {
        // 32-bit arm must not pick the arm64 build
        RegistryException e = assertThrows(RegistryException.class,
                () -> select(List.of("app_linux_arm64.tar.gz"), null, "arm"));
        assertTrue(e.getMessage().contains("linux/arm"), e.getMessage());
        assertEquals("app_linux_arm.tar.gz", select(List.of("app_linux_arm64.tar.gz", "app_linux_arm.tar.gz"), null,
                "arm"));
    }

    @Test
    void checksumAndSignatureFilesAreNeverArtifacts() throws Exception {
        List<String> names = List.of("app_linux_amd64.tar.gz", "app_linux_amd64.tar.gz.sha256",
                "app_linux_amd64.tar.gz.sig", "app_linux_amd64.tar.gz.asc", "app_linux_amd64.tar.gz.pem",
                "app_linux_amd64.sbom.tar.gz", "app_linux_amd64.tar.gz.sbom.json", "linux_amd64_checksums.txt");
        assertEquals("app_linux_amd64.tar.gz", select(names, null, "amd64"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"app.sha256", "app_1.2.3_checksums.txt", "SHA256SUMS", "x.sig", "x.asc", "x.pem",
            "x.sbom.json", "x.spdx.json", "x.tar.gz.sha256sum"})
    void metadata(String name) {
        assertTrue(Artifacts.isMetadata(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"app_linux_amd64.tar.gz", "app.zip", "sigma_linux_amd64.tgz"})
    void notMetadata(String name) {
        assertFalse(Artifacts.isMetadata(name), name);
    }

    @Test
    void nonArchivesAreNotChosen() {
        RegistryException e = assertThrows(RegistryException.class,
                () -> select(List.of("app_linux_amd64", "app_linux_amd64.deb", "app_linux_amd64.rpm"), null, "amd64"));
        assertFalse(e.isTransient());
    }

    @Test
    void noMatchListsTheAssets() {
        RegistryException e = assertThrows(RegistryException.class,
                () -> select(List.of("a.zip", "b.tar.gz"), null, "x86_64"));
        assertEquals("release v1.2.3 has no asset for linux/amd64 (assets: a.zip, b.tar.gz); set artifact=NAME",
                e.getMessage());
        assertFalse(e.isTransient());
    }

    @Test
    void noAssetsAtAll() {
        RegistryException e = assertThrows(RegistryException.class, () -> select(List.of(), null, "amd64"));
        assertTrue(e.getMessage().contains("(assets: none)"), e.getMessage());
    }

    @Test
    void ambiguousMatchNamesThem() {
        RegistryException e = assertThrows(RegistryException.class,
                () -> select(List.of("x_linux_amd64.tar.gz", "y_linux_amd64.zip", "z.txt"), null, "amd64"));
        assertEquals("release v1.2.3: 2 assets match linux/amd64: x_linux_amd64.tar.gz, y_linux_amd64.zip; "
                + "set artifact=NAME", e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void explicitArtifactWinsAndMustExist() throws Exception {
        List<String> names = List.of("x_linux_amd64.tar.gz", "y_linux_amd64.zip", "server.jar");
        assertEquals("y_linux_amd64.zip", select(names, "y_linux_amd64.zip", "amd64"));
        assertEquals("server.jar", select(names, "server.jar", "amd64"), "explicit: any name, any platform");
        RegistryException e = assertThrows(RegistryException.class, () -> select(names, "nope.tar.gz", "amd64"));
        assertTrue(e.getMessage().startsWith("release v1.2.3 has no asset named nope.tar.gz (assets: "),
                e.getMessage());
        assertThrows(RegistryException.class, () -> select(names, "Y_LINUX_AMD64.ZIP", "amd64"), "exact name");
    }

    @Test
    void longAssetListsAreCut() {
        List<String> names = java.util.stream.IntStream.range(0, 30).mapToObj(i -> "f" + i + ".txt").toList();
        RegistryException e = assertThrows(RegistryException.class, () -> select(names, null, "amd64"));
        assertTrue(e.getMessage().contains("f19.txt, ... 10 more"), e.getMessage());
        assertFalse(e.getMessage().contains("f20.txt"));
    }

    @Test
    void checksumAssetPrefersTheArtifactsOwn() {
        assertEquals("a.tar.gz.sha256", Artifacts.checksumsFor("a.tar.gz",
                List.of("a.tar.gz", "checksums.txt", "a.tar.gz.sha256")));
        assertEquals("app_1.2.3_checksums.txt", Artifacts.checksumsFor("a.tar.gz",
                List.of("a.tar.gz", "app_1.2.3_checksums.txt", "b.tar.gz.sha256")));
        assertEquals("SHA256SUMS", Artifacts.checksumsFor("a.tar.gz", List.of("SHA256SUMS", "a.tar.gz")));
        assertNull(Artifacts.checksumsFor("a.tar.gz", List.of("a.tar.gz", "b.tar.gz.sha256", "a.tar.gz.sig")));
    }

    @ParameterizedTest
    @CsvSource({"amd64,amd64", "x86_64,amd64", "AMD64,amd64", "aarch64,arm64", "arm64,arm64", "s390x,s390x"})
    void normalizesArch(String in, String out) {
        assertEquals(out, Artifacts.normalizeArch(in));
    }

    @Test
    void currentPlatform() {
        assertEquals("linux", Artifacts.currentOs()); // dewy's tests run on Linux only
        assertFalse(Artifacts.currentArch().isEmpty());
    }
}
