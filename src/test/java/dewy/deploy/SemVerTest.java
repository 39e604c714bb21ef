package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SemVerTest {
    private static SemVer v(String s) {
        SemVer v = SemVer.parse(s);
        assertNotNull(v, s);
        return v;
    }

    @Test
    void specOrderingExample() {
        List<String> ordered = List.of("1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0");
        for (int i = 0; i < ordered.size(); i++) {
            for (int j = 0; j < ordered.size(); j++) {
                assertEquals(Integer.signum(Integer.compare(i, j)),
                        Integer.signum(v(ordered.get(i)).compareTo(v(ordered.get(j)))),
                        ordered.get(i) + " vs " + ordered.get(j));
            }
        }
        List<SemVer> shuffled = new ArrayList<>();
        ordered.forEach(s -> shuffled.add(v(s)));
        Collections.shuffle(shuffled, new Random(7));
        Collections.sort(shuffled);
        assertEquals(ordered, shuffled.stream().map(SemVer::tag).toList());
    }

    @Test
    void numbersCompareNumericallyNotAsText() {
        assertTrue(v("1.10.0").compareTo(v("1.9.0")) > 0);
        assertTrue(v("2.0.0").compareTo(v("1.99.99")) > 0);
        assertTrue(v("1.0.10").compareTo(v("1.0.9")) > 0);
        assertTrue(v("10.0.0").compareTo(v("9.0.0")) > 0);
        // beyond a long: no overflow
        assertTrue(v("99999999999999999999.0.0").compareTo(v("9999999999999999999.0.0")) > 0);
    }

    @Test
    void prereleaseIdentifiers() {
        assertTrue(v("1.0.0-2").compareTo(v("1.0.0-10")) < 0, "numeric identifiers compare as numbers");
        assertTrue(v("1.0.0-10").compareTo(v("1.0.0-a")) < 0, "numeric ranks below alphanumeric");
        assertTrue(v("1.0.0-Z").compareTo(v("1.0.0-a")) < 0, "alphanumeric in ASCII order");
        assertTrue(v("1.0.0-rc.1").compareTo(v("1.0.0-rc.1.0")) < 0, "a shorter set ranks lower");
        assertTrue(v("1.0.0-0a").compareTo(v("1.0.0-1")) > 0, "0a is alphanumeric");
    }

    @Test
    void buildMetadataIgnoredInPrecedence() {
        assertEquals(0, v("1.2.3+build.1").compareTo(v("1.2.3+build.2")));
        assertEquals(v("v1.2.3"), v("1.2.3+x"));
        assertEquals(v("v1.2.3").hashCode(), v("1.2.3+x").hashCode());
        assertTrue(v("1.2.3-rc.1+b").compareTo(v("1.2.3")) < 0);
    }

    @Test
    void leadingVAndTag() {
        assertEquals("v1.2.3", v("v1.2.3").tag());
        assertEquals("1.2.3-rc.1+b.5", v("1.2.3-rc.1+b.5").tag());
        assertEquals(0, v("v1.2.3").compareTo(v("1.2.3")));
    }

    @Test
    void prerelease() {
        assertTrue(v("1.0.0-rc.1").prerelease());
        assertTrue(v("v2.0.0-0").prerelease());
        assertFalse(v("1.0.0").prerelease());
        assertFalse(v("1.0.0+build-1").prerelease());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.2", "01.2.3", "1.02.3", "1.2.03", "v1.2.3.4", "latest", "", "v", "V1.2.3", "vv1.2.3",
            "1.2.3-", "1.2.3-01", "1.2.3-rc..1", "1.2.3+", "1.2.3+a..b", " 1.2.3", "1.2.3 ", "1.2.3-rc_1",
            "-1.2.3", "1.2.3\n", "\u0661.2.3"})
    void rejects(String tag) {
        assertNull(SemVer.parse(tag), tag);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0", "1.2.3", "v1.2.3", "1.0.0-0", "1.0.0-alpha-1", "1.0.0-0a.b-c",
            "1.2.3+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.0.0+0.build.1-rc.10000aaa-kk-0.1"})
    void accepts(String tag) {
        assertNotNull(SemVer.parse(tag), tag);
    }

    @Test
    void nullIsNotAVersion() {
        assertNull(SemVer.parse(null));
    }
}
