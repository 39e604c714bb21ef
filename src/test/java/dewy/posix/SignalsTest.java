package dewy.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SignalsTest {
    /** Linux x86_64/arm64 names 1..31, written out independently of the production table. */
    private static final String[] CLASSIC = {"SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
            "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
            "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
            "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};

    private static String expectedName(int n) {
        if (n <= 31) {
            return CLASSIC[n - 1];
        }
        if (n == 32 || n == 33) {
            return "SIG" + n;
        }
        if (n == 34) {
            return "SIGRTMIN";
        }
        if (n == 64) {
            return "SIGRTMAX";
        }
        return n <= 49 ? "SIGRTMIN+" + (n - 34) : "SIGRTMAX-" + (64 - n);
    }

    @Test
    void nameOfEverySignal() {
        for (int n = 1; n <= 64; n++) {
            assertEquals(expectedName(n), Signals.name(n), "name(" + n + ")");
        }
    }

    @ParameterizedTest
    @CsvSource({"1,SIGHUP", "9,SIGKILL", "15,SIGTERM", "17,SIGCHLD", "31,SIGSYS", "32,SIG32", "33,SIG33",
            "34,SIGRTMIN", "35,SIGRTMIN+1", "37,SIGRTMIN+3", "49,SIGRTMIN+15", "50,SIGRTMAX-14", "62,SIGRTMAX-2",
            "63,SIGRTMAX-1", "64,SIGRTMAX"})
    void nameSpotChecks(int n, String name) {
        assertEquals(name, Signals.name(n));
    }

    @Test
    void nameOutsideOneToSixtyFourIsNumeric() {
        assertEquals("SIG0", Signals.name(0));
        assertEquals("SIG65", Signals.name(65));
    }

    @ParameterizedTest
    @CsvSource({"TERM,15", "SIGTERM,15", "term,15", "15,15", "' SIGterm ',15", "1,1", "64,64", "HUP,1",
            "sigkill,9", "STKFLT,16", "RTMIN,34", "RTMAX,64", "RTMIN+3,37", "SIGRTMIN+3,37", "rtmin+0,34",
            "RTMIN+30,64", "SIGRTMAX-2,62", "RTMAX-0,64", "RTMAX-30,34", "IOT,6", "SIGIOT,6", "POLL,29",
            "SIGPOLL,29", "WINCH,28", "USR2,12"})
    void parseAccepts(String text, int expected) {
        assertEquals(Optional.of(expected), Signals.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "0", "00", "65", "99", "123", "015", "-15", "+15", "FOO", "SIGFOO", "SIG",
            "RTMIN+31", "RTMAX-31", "RTMIN+", "RTMAX-", "RTMIN+x", "RTMIN+100", "RTMIN-1", "RTMAX+1", "SIG65", "SIG015",
            "TERM2", "SIG TERM"})
    void parseRejects(String text) {
        assertEquals(Optional.empty(), Signals.parse(text), "parse(\"" + text + "\")");
    }

    @Test
    void parseOfNameRoundTripsForEverySignal() {
        for (int n = 1; n <= 64; n++) {
            assertEquals(Optional.of(n), Signals.parse(Signals.name(n)), "parse(name(" + n + "))");
        }
    }

    @Test
    void glibcReservedSignalsReadBackFromTheirNumericNames() {
        assertEquals("SIG32", Signals.name(32));
        assertEquals(Optional.of(32), Signals.parse("SIG32"));
        assertEquals(Optional.of(33), Signals.parse("sig33"));
        assertEquals(Optional.empty(), Signals.parse("SIG65"));
        assertEquals(Optional.empty(), Signals.parse("SIG0"));
        assertEquals(Optional.of(32), Signals.parse("32"));
        assertEquals(Optional.of(33), Signals.parse("33"));
    }

    @Test
    void handledContainsWhatTheInitWaitsFor() {
        int[] in = {Signals.SIGHUP, Signals.SIGINT, Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGUSR2,
                Signals.SIGTERM, Signals.SIGCHLD, Signals.SIGWINCH, Signals.SIGCONT, Signals.SIGTSTP,
                Signals.SIGTTIN, Signals.SIGTTOU, Signals.SIGALRM, Signals.SIGPIPE, 64};
        for (int s : in) {
            assertTrue(Signals.HANDLED.contains(s), Signals.name(s) + " should be handled");
        }
        for (int s = 34; s <= 61; s++) {
            assertTrue(Signals.HANDLED.contains(s), Signals.name(s) + " should be handled");
        }
    }

    @Test
    void handledLeavesOutKillStopFaultsAndJvmSignals() {
        int[] out = {Signals.SIGKILL, Signals.SIGSTOP, Signals.SIGILL, Signals.SIGTRAP, Signals.SIGABRT,
                Signals.SIGBUS, Signals.SIGFPE, Signals.SIGSEGV, Signals.SIGSYS, 32, 33, 62, 63};
        for (int s : out) {
            assertFalse(Signals.HANDLED.contains(s), Signals.name(s) + " must not be handled");
        }
        assertEquals(62, Signals.JVM_NIO_WAKEUP);
        assertEquals(63, Signals.JVM_SUSPEND_RESUME);
    }

    @Test
    void handledMaskIsWhatTheLauncherBlocks() {
        assertEquals(0x9ffffffe3ffbfa07L, Signals.HANDLED.bits());
        assertEquals("9ffffffe3ffbfa07", Long.toHexString(Signals.HANDLED.bits()));
        assertEquals(Signals.HANDLED, SignalSet.fromProcHex("9ffffffe3ffbfa07"));
        assertEquals(64 - 13, Signals.HANDLED.toList().size());
    }

    @Test
    void forwardedIsHandledMinusDrainRestartAndChild() {
        List<Integer> expected = new ArrayList<>(List.of(1, 12, 13, 14, 16, 18));
        for (int s = 20; s <= 30; s++) {
            expected.add(s);
        }
        for (int s = 34; s <= 61; s++) {
            expected.add(s);
        }
        expected.add(64);
        assertEquals(expected, Signals.FORWARDED.toList());
        assertEquals(Signals.HANDLED.minus(SignalSet.of(Signals.SIGINT, Signals.SIGTERM, Signals.SIGQUIT,
                Signals.SIGUSR1, Signals.SIGCHLD)), Signals.FORWARDED);
        assertTrue(Signals.HANDLED.containsAll(Signals.FORWARDED));
    }

    @Test
    void drainAndJobStopSets() {
        assertEquals(List.of(2, 3, 15), Signals.DRAIN.toList());
        assertEquals(List.of(20, 21, 22), Signals.JOB_STOP.toList());
        assertTrue(Signals.FORWARDED.containsAll(Signals.JOB_STOP));
    }
}
