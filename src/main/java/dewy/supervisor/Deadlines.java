package dewy.supervisor;

/** Monotonic deadlines in nanoseconds, {@link Generation#NONE} meaning none. */
final class Deadlines {
    static final long NONE = Generation.NONE;

    private Deadlines() {
    }

    static long earliest(long a, long b) {
        if (a == NONE) {
            return b;
        }
        if (b == NONE) {
            return a;
        }
        return Math.min(a, b);
    }

    static boolean due(long deadline, long now) {
        return deadline != NONE && now >= deadline;
    }
}
