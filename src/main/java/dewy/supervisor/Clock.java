package dewy.supervisor;

/** Monotonic time for deadlines; unit tests drive a fake one. */
@FunctionalInterface
public interface Clock {
    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime(); // not a method reference: those cost a lambda bootstrap before the spawn
        }
    };

    long nanoTime();

    /** Wall-clock time, only for what operators read (start times in /status). */
    default long epochMillis() {
        return System.currentTimeMillis();
    }
}
