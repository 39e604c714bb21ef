package dewy.supervisor;

/** Monotonic time for deadlines; unit tests drive a fake one. */
@FunctionalInterface
public interface Clock {
    Clock SYSTEM = System::nanoTime;

    long nanoTime();
}
