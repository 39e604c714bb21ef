package dewy.posix;

/**
 * What the kernel says about one signal (from the signalfd).
 *
 * @param signo  the signal
 * @param code   si_code: {@link #SI_USER} for kill(2), {@link #SI_KERNEL} for the kernel, {@link #SI_QUEUE} ...
 * @param sender si_pid, 0 when the sender is outside dewy's PID namespace
 */
public record SignalInfo(int signo, int code, int sender) {
    public static final int SI_USER = 0;
    public static final int SI_KERNEL = 0x80;
    public static final int SI_QUEUE = -1;
    public static final int SI_TKILL = -6;

    public String name() {
        return Signals.name(signo);
    }
}
