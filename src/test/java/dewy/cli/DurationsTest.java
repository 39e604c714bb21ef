package dewy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationsTest {
    @ParameterizedTest
    @CsvSource({"30s,30000000000", "1m30s,90000000000", "1.5h,5400000000000", "250ms,250000000", "0,0",
            "1h2m3.5s,3723500000000", "100us,100000", "10\u00b5s,10000", "10\u03bcs,10000", "+5s,5000000000",
            "7ns,7", "0s,0", "0.5s,500000000", ".5s,500000000", "' 2m ',120000000000", "1h1h,7200000000000"})
    void parses(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), Durations.parse(text));
    }

    private static String error(String text) {
        return assertThrows(IllegalArgumentException.class, () -> Durations.parse(text),
                "parse(\"" + text + "\") should fail").getMessage();
    }

    @Test
    void empty() {
        assertTrue(error("").contains("empty"), error(""));
        assertTrue(error("   ").contains("empty"));
    }

    @Test
    void missingUnit() {
        String m = error("30");
        assertTrue(m.contains("missing unit") && m.contains("\"30\""), m);
        assertTrue(error("1m30").contains("missing unit"));
    }

    @Test
    void negative() {
        String m = error("-1s");
        assertTrue(m.contains("negative") && m.contains("-1s"), m);
    }

    @Test
    void unknownUnit() {
        String m = error("5x");
        assertTrue(m.contains("unknown unit \"x\"") && m.contains("\"5x\""), m);
        assertTrue(error("5 s").contains("unknown unit"));
        assertTrue(error("5sec").contains("unknown unit \"sec\""));
    }

    @Test
    void malformedNumbers() {
        assertTrue(error("1..5s").contains("invalid duration \"1..5s\""), error("1..5s"));
        assertTrue(error("s").contains("invalid duration"), error("s"));
        assertTrue(error(".s").contains("invalid duration"));
        assertTrue(error("1.2.3s").contains("invalid duration"));
    }

    @Test
    void tooLong() {
        assertTrue(error("10000000h").contains("too long"));
    }

    @Test
    void signAloneIsNotADuration() {
        // Go: time.ParseDuration("+") -> error "time: invalid duration \"+\"".
        error("+");
    }

    @Test
    void plusZeroIsZero() {
        // Go: time.ParseDuration("+0") == 0 (the sign is consumed before the "0" special case).
        assertEquals(Duration.ZERO, Durations.parse("+0"));
    }

    @ParameterizedTest
    @CsvSource({"30000000000,30s", "90000000000,1m30s", "1500000000,1.5s", "250000000,250ms", "0,0s",
            "3600000000000,1h0m0s", "7384000000000,2h3m4s", "60000000000,1m0s", "500,500ns", "1500,1.5\u00b5s",
            "1000000,1ms", "100000000,100ms", "10000000000,10s", "3723500000000,1h2m3.5s", "1000000001,1.000000001s"})
    void formatsLikeGo(long nanos, String text) {
        assertEquals(text, Durations.format(Duration.ofNanos(nanos)));
    }

    @Test
    void formatThenParseRoundTrips() {
        for (String s : new String[] {"30s", "1m30s", "1.5s", "250ms", "1h0m0s", "2h3m4s", "1.5\u00b5s", "7ns"}) {
            assertEquals(s, Durations.format(Durations.parse(s)));
        }
    }
}
