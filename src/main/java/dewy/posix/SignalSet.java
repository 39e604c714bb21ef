package dewy.posix;

import java.util.ArrayList;
import java.util.List;

/** An immutable set of signals 1..64, laid out like the first word of the kernel's sigset_t (bit n-1 is signal n). */
public final class SignalSet {
    private final long bits;

    private SignalSet(long bits) {
        this.bits = bits;
    }

    public static SignalSet of(int... signals) {
        long b = 0;
        for (int s : signals) {
            b |= bit(s);
        }
        return new SignalSet(b);
    }

    public static SignalSet range(int from, int to) {
        long b = 0;
        for (int s = from; s <= to; s++) {
            b |= bit(s);
        }
        return new SignalSet(b);
    }

    /** Parses the hex mask that /proc/PID/status shows as SigBlk, SigIgn or SigCgt. */
    public static SignalSet fromProcHex(String hex) {
        return new SignalSet(Long.parseUnsignedLong(hex.trim(), 16));
    }

    public static SignalSet fromBits(long bits) {
        return new SignalSet(bits);
    }

    private static long bit(int signal) {
        if (signal < 1 || signal > 64) {
            throw new IllegalArgumentException("no signal " + signal);
        }
        return 1L << (signal - 1);
    }

    public boolean contains(int signal) {
        return signal >= 1 && signal <= 64 && (bits & bit(signal)) != 0;
    }

    public boolean containsAll(SignalSet other) {
        return (bits & other.bits) == other.bits;
    }

    public SignalSet minus(SignalSet other) {
        return new SignalSet(bits & ~other.bits);
    }

    public boolean isEmpty() {
        return bits == 0;
    }

    public long bits() {
        return bits;
    }

    public List<Integer> toList() {
        List<Integer> list = new ArrayList<>();
        for (int s = 1; s <= 64; s++) {
            if (contains(s)) {
                list.add(s);
            }
        }
        return list;
    }

    /** Names, for error messages: {@code SIGHUP,SIGINT}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int s : toList()) {
            sb.append(sb.length() == 0 ? "" : ",").append(Signals.name(s));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignalSet && ((SignalSet) o).bits == bits;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bits);
    }
}
