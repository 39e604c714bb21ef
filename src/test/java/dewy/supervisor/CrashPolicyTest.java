package dewy.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dewy.cli.RestartPolicy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Restart intensity in a sliding window, Erlang/OTP style, and the doubling backoff. */
class CrashPolicyTest {
    private static final long S = 1_000_000_000L;

    private static CrashPolicy policy(int max) {
        return new CrashPolicy(new RestartPolicy(RestartPolicy.Mode.ON_FAILURE, Duration.ofSeconds(1), max,
                Duration.ofMinutes(1)));
    }

    @Test
    void theBackoffDoublesPerCrashInTheWindowUpToThirtySeconds() {
        CrashPolicy p = policy(0);
        long[] expected = {1, 2, 4, 8, 16, 30, 30};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i] * S, p.onCrash(i * S), "crash " + (i + 1));
        }
        assertEquals(7, p.total());
    }

    @Test
    void moreThanMaxRestartsInTheWindowGivesUp() {
        CrashPolicy p = policy(3);
        for (int i = 0; i < 3; i++) {
            assertEquals(true, p.onCrash(i * S) > 0);
        }
        assertEquals(-1, p.onCrash(3 * S), "the fourth crash within a minute");
    }

    @Test
    void aRunLongerThanTheWindowResetsIt() {
        CrashPolicy p = policy(3);
        p.onCrash(0);
        p.onCrash(S);
        p.onCrash(2 * S);
        assertEquals(S, p.onCrash(62 * S + 1), "the old crashes slid out of the window: back to the first delay");
        assertEquals(1, p.recent());
    }
}
