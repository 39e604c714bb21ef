package dewy.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Sha256Test {
    private static String hex(Sha256.Hasher h) {
        return HexFormat.of().formatHex(h.digest());
    }

    @Test
    void libcryptoIsUsedWhereTheSystemHasIt() {
        boolean present = Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"))
                || Files.exists(Path.of("/usr/lib/aarch64-linux-gnu/libcrypto.so.3"));
        assertTrue(present, "this test machine has libssl3 (Debian's libcrypto.so.3)");
        assertTrue(Sha256.isNative(), "libcrypto is present but was not bound");
    }

    @Test
    void knownVectors() {
        Sha256.Hasher empty = Sha256.newHasher();
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(empty));
        Sha256.Hasher abc = Sha256.newHasher();
        abc.update("abc".getBytes(StandardCharsets.US_ASCII), 0, 3);
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex(abc));
    }

    @Test
    void equalsTheJdkForAnySplitOfTheBytesAndAnyOffset() {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            byte[] data = new byte[random.nextInt(300_000)];
            random.nextBytes(data);
            Sha256.Hasher lib = Sha256.newHasher();
            Sha256.Hasher jdk = Sha256.jdkHasher();
            for (int at = 0; at < data.length; ) {
                int n = Math.min(data.length - at, random.nextInt(70_000) + 1);
                lib.update(data, at, n);
                jdk.update(data, at, n);
                at += n;
            }
            assertArrayEquals(jdk.digest(), lib.digest(), "round " + round + ", " + data.length + " bytes");
        }
    }

    @Test
    void aHasherIsUsedOnceAndClosingItTwiceIsHarmless() {
        Sha256.Hasher h = Sha256.newHasher();
        h.update(new byte[] {1}, 0, 1);
        h.digest();
        h.close();
        if (Sha256.isNative()) {
            assertThrows(IllegalStateException.class, h::digest);
        }
        Sha256.Hasher unused = Sha256.newHasher();
        unused.close();
        unused.close();
    }
}
