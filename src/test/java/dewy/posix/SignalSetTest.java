package dewy.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SignalSetTest {
    @Test
    void ofSetsBitNMinusOne() {
        assertEquals(0L, SignalSet.of().bits());
        assertTrue(SignalSet.of().isEmpty());
        assertEquals(0b101L, SignalSet.of(1, 3).bits());
        assertEquals(1L << 63, SignalSet.of(64).bits());
        assertEquals(List.of(1, 3, 64), SignalSet.of(64, 3, 1, 3).toList());
        assertFalse(SignalSet.of(64).isEmpty());
    }

    @Test
    void rangeIsInclusive() {
        assertEquals(List.of(34, 35, 36), SignalSet.range(34, 36).toList());
        assertEquals(-1L, SignalSet.range(1, 64).bits());
        assertEquals(SignalSet.of(7), SignalSet.range(7, 7));
        assertTrue(SignalSet.range(5, 4).isEmpty());
    }

    @Test
    void containsChecksMembershipAndToleratesOutOfRange() {
        SignalSet s = SignalSet.of(2, 15);
        assertTrue(s.contains(2));
        assertTrue(s.contains(15));
        assertFalse(s.contains(1));
        assertFalse(s.contains(16));
        assertFalse(s.contains(0));
        assertFalse(s.contains(65));
        assertFalse(SignalSet.range(1, 64).contains(-1));
    }

    @Test
    void minus() {
        SignalSet s = SignalSet.range(1, 5).minus(SignalSet.of(2, 4, 60));
        assertEquals(List.of(1, 3, 5), s.toList());
        assertTrue(SignalSet.of(1).minus(SignalSet.of(1)).isEmpty());
    }

    @Test
    void containsAll() {
        SignalSet big = SignalSet.range(1, 20);
        assertTrue(big.containsAll(SignalSet.of(1, 20)));
        assertTrue(big.containsAll(SignalSet.of()));
        assertFalse(big.containsAll(SignalSet.of(1, 21)));
        assertFalse(SignalSet.of().containsAll(SignalSet.of(64)));
    }

    @Test
    void fromProcHexReadsSigBlk() {
        SignalSet s = SignalSet.fromProcHex("0000000008016a07");
        assertEquals(SignalSet.of(Signals.SIGHUP, Signals.SIGINT, Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGUSR2,
                Signals.SIGALRM, Signals.SIGTERM, Signals.SIGCHLD, Signals.SIGWINCH), s);
        assertEquals(List.of(1, 2, 3, 10, 12, 14, 15, 17, 28), s.toList());
    }

    @Test
    void fromProcHexTrimsAndHandlesTheTopBit() {
        assertEquals(SignalSet.of(64, 1), SignalSet.fromProcHex("  8000000000000001\n"));
        assertEquals(SignalSet.range(1, 64), SignalSet.fromProcHex("ffffffffffffffff"));
        assertTrue(SignalSet.fromProcHex("0000000000000000").isEmpty());
        assertThrows(NumberFormatException.class, () -> SignalSet.fromProcHex("xyz"));
    }

    @Test
    void fromBits() {
        assertEquals(List.of(1, 2, 3, 10), SignalSet.fromBits(0x207L).toList());
    }

    @Test
    void toStringListsNames() {
        assertEquals("SIGHUP,SIGINT", SignalSet.of(2, 1).toString());
        assertEquals("SIGTERM,SIGRTMIN+3,SIGRTMAX-1,SIGRTMAX", SignalSet.of(15, 37, 63, 64).toString());
        assertEquals("", SignalSet.of().toString());
    }

    @Test
    void equalsAndHashCodeFollowTheBits() {
        assertEquals(SignalSet.of(1, 2), SignalSet.range(1, 2));
        assertEquals(SignalSet.of(1, 2).hashCode(), SignalSet.range(1, 2).hashCode());
        assertNotEquals(SignalSet.of(1), SignalSet.of(2));
        assertNotEquals(SignalSet.of(1), "SIGHUP");
    }

    @Test
    void invalidSignalNumbersThrow() {
        assertThrows(IllegalArgumentException.class, () -> SignalSet.of(0));
        assertThrows(IllegalArgumentException.class, () -> SignalSet.of(65));
        assertThrows(IllegalArgumentException.class, () -> SignalSet.of(-1));
        assertThrows(IllegalArgumentException.class, () -> SignalSet.of(1, 2, 100));
        assertThrows(IllegalArgumentException.class, () -> SignalSet.range(0, 3));
        assertThrows(IllegalArgumentException.class, () -> SignalSet.range(60, 65));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SignalSet.of(65));
        assertTrue(e.getMessage().contains("65"), e.getMessage());
    }
}
