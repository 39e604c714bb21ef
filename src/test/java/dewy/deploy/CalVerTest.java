package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Go dewy's CalVer: its formats, what each reads (its own test cases), and the order. */
class CalVerTest {
    private static CalVer read(String format, String tag) {
        return CalVer.Format.parse(format).read(tag);
    }

    @Test
    void formatsAsGoDewyReadsThem() {
        for (String ok : List.of("YYYY.0M.MICRO", "YYYY.MM.DD", "YY.MM.MICRO", "0Y.0M.0D", "YYYY.0W.MICRO",
                "YYYY.0M0D.MICRO")) {
            assertEquals(ok, CalVer.Format.parse(ok).toString());
        }
        assertEquals("calver format is empty",
                assertThrows(IllegalArgumentException.class, () -> CalVer.Format.parse("")).getMessage());
        for (String bad : List.of("yyyy.MICR", "foo.bar")) {
            assertEquals("calver format \"" + bad + "\" contains no valid specifiers (expected YYYY, YY, 0Y, MM, 0M, "
                    + "WW, 0W, DD, 0D, or MICRO)",
                    assertThrows(IllegalArgumentException.class, () -> CalVer.Format.parse(bad)).getMessage());
        }
    }

    @Test
    void readsGoDewysCases() {
        assertEquals("2024.01.0", read("YYYY.0M.MICRO", "2024.01.0").tag());
        assertEquals("v2024.01.42", read("YYYY.0M.MICRO", "v2024.01.42").tag());
        CalVer blue = read("YYYY.0M.MICRO", "2024.06.3+blue");
        assertEquals("blue", blue.build());
        assertFalse(blue.prerelease());
        assertTrue(read("YYYY.MM.DD", "2024.1.9") != null && read("YYYY.MM.DD", "2024.11.31") != null);
        assertTrue(read("YY.MM.MICRO", "24.1.5") != null && read("YY.MM.MICRO", "106.1.5") != null);
        assertTrue(read("0Y.0M.0D", "24.01.09") != null && read("0Y.0M.0D", "106.01.09") != null);
        assertTrue(read("YYYY.0W.MICRO", "2024.01.3") != null);
        CalVer rc = read("YYYY.0M.MICRO", "2024.06.3-rc.1");
        assertTrue(rc.prerelease());
        CalVer beta = read("YYYY.0M.MICRO", "v2024.06.3-beta.2+blue");
        assertTrue(beta.prerelease());
        assertEquals("blue", beta.build());
        assertNull(read("YYYY.0M.MICRO", "not-a-version"));
        assertNull(read("YYYY.0M.MICRO", "v1.2.3"), "SemVer is not this CalVer");
        assertNull(read("YYYY.0M.MICRO", "2024.13.0"), "no month 13");
        assertNull(read("YYYY.0M.MICRO", "2024.1.0"), "0M wants the zero");
        assertNull(read("YYYY.0M0D.MICRO", "2026.1301.0"));
        assertNull(read("YYYY.0M.MICRO", "2024x01.0"), "a literal dot is a dot, not any character");
    }

    @Test
    void ordersBySegmentsAsNumbersThenPreRelease() {
        String f = "YYYY.0M0D.MICRO";
        List<String> tags = new ArrayList<>(List.of("2026.1202.10", "2026.1201.3", "v2026.1202.2", "2026.1202.10-rc.1",
                "2025.1231.99", "2026.1202.10-rc.2", "2026.1202.9"));
        Collections.shuffle(tags, new java.util.Random(7));
        CalVer.Format format = CalVer.Format.parse(f);
        tags.sort((a, b) -> format.read(a).compareTo(format.read(b)));
        assertEquals(List.of("2025.1231.99", "2026.1201.3", "v2026.1202.2", "2026.1202.9", "2026.1202.10-rc.1",
                "2026.1202.10-rc.2", "2026.1202.10"), tags);
        assertEquals(0, format.read("2026.1202.1+blue").compareTo(format.read("v2026.1202.1+green")),
                "build metadata does not count");
        assertTrue(read("YYYY.MICRO", "2026.100000000000000000000").compareTo(read("YYYY.MICRO", "2026.99")) > 0,
                "no overflow");
    }
}
