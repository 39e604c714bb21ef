package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksumsTest {
    private static final String A = "a".repeat(64);
    private static final String B = "0123456789abcdef".repeat(4);

    @Test
    void sha256sumTextAndBinaryModes() {
        String text = A + "  app_linux_arm64.tar.gz\n" + B + " *app_linux_amd64.tar.gz\n";
        assertEquals(A, Checksums.expected(text, "app_linux_arm64.tar.gz"));
        assertEquals(B, Checksums.expected(text, "app_linux_amd64.tar.gz"));
        assertNull(Checksums.expected(text, "app_linux_386.tar.gz"));
    }

    @Test
    void nameMustMatchExactlyNotAsAPrefixOrSuffix() {
        String text = A + "  app.tar.gz.sig\n" + B + "  my-app.tar.gz\n";
        assertNull(Checksums.expected(text, "app.tar.gz"));
        assertNull(Checksums.expected(A + "  app.tar.gz\n", "p.tar.gz"));
    }

    @Test
    void pathsInEntries() {
        assertEquals(A, Checksums.expected(A + "  ./app.tar.gz\n", "app.tar.gz"));
        assertEquals(A, Checksums.expected(A + "  dist/app.tar.gz\n", "app.tar.gz"));
    }

    @Test
    void upperCaseHexCrlfAndBsdTags() {
        assertEquals(B, Checksums.expected(B.toUpperCase() + "  app.zip\r\n", "app.zip"));
        assertEquals(B, Checksums.expected("SHA256 (app.zip) = " + B + "\n", "app.zip"));
    }

    @Test
    void bareDigestAloneIsTheArtifacts() {
        assertEquals(A, Checksums.expected(A + "\n", "anything.tar.gz"));
        assertEquals(A, Checksums.expected("  " + A.toUpperCase(), "x"));
        // in a list, a bare digest says nothing about which file it is for
        assertNull(Checksums.expected(A + "\n" + B + "  other.zip\n", "x"));
    }

    @Test
    void malformedLinesAreNoEntry() {
        assertNull(Checksums.expected("abc  app.zip\n", "app.zip"), "short digest");
        assertNull(Checksums.expected("g".repeat(64) + "  app.zip\n", "app.zip"), "not hex");
        assertNull(Checksums.expected(A + "app.zip\n", "app.zip"), "no separator");
        assertNull(Checksums.expected("", "app.zip"));
        assertNull(Checksums.expected(A + "0  app.zip\n", "app.zip"), "65 digits");
    }

    @Test
    void sha256OfFiles(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("empty"));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Checksums.sha256(empty));
        Path abc = Files.writeString(dir.resolve("abc"), "abc", StandardCharsets.US_ASCII);
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Checksums.sha256(abc));
        // larger than the buffer: the streamed digest equals the one-shot digest
        byte[] big = new byte[300_000];
        new Random(1).nextBytes(big);
        Path f = Files.write(dir.resolve("big"), big);
        assertEquals(ReleaseFixtures.sha256(big), Checksums.sha256(f));
    }
}
