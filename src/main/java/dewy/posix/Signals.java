package dewy.posix;

import java.util.Locale;
import java.util.Optional;

/**
 * Linux signal numbers and names (x86_64 and arm64 share them), and the sets that decide what dewy does with each.
 *
 * <p>Realtime signals use glibc's numbering: SIGRTMIN is 34 because glibc keeps 32 and 33 for itself, so
 * {@code SIGRTMIN+3} here is what a glibc program calls {@code SIGRTMIN+3}.
 */
public final class Signals {
    public static final int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
            SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
            SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21,
            SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28,
            SIGIO = 29, SIGPWR = 30, SIGSYS = 31;
    public static final int SIGRTMIN = 34, SIGRTMAX = 64;

    /** HotSpot's suspend/resume signal once dewy's JVM runs with {@code _JAVA_SR_SIGNUM=63} (SIGRTMAX-1). */
    public static final int JVM_SUSPEND_RESUME = 63;
    /** The JDK's NIO uses SIGRTMAX-2 to wake threads blocked in channel I/O; blocking it would hang close(). */
    public static final int JVM_NIO_WAKEUP = 62;

    private static final String[] NAMES = {null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
            "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
            "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
            "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};

    /**
     * Signals dewy cannot wait for: KILL and STOP, the synchronous faults the JVM must handle itself (as tini leaves
     * them too), glibc's two internal signals, and the two the JVM keeps (NIO wake-up and suspend/resume).
     */
    public static final SignalSet UNHANDLED = SignalSet.of(SIGKILL, SIGSTOP, SIGILL, SIGTRAP, SIGABRT, SIGBUS,
            SIGFPE, SIGSEGV, SIGSYS, 32, 33, JVM_NIO_WAKEUP, JVM_SUSPEND_RESUME);

    /** Every signal dewy blocks in all JVM threads and takes from its signalfd. */
    public static final SignalSet HANDLED = SignalSet.range(1, 64).minus(UNHANDLED);

    /** Signals that start a drain. */
    public static final SignalSet DRAIN = SignalSet.of(SIGINT, SIGTERM, SIGQUIT);

    /** Terminal stop signals: forwarded, then dewy stops itself too unless it is PID 1 (dumb-init's behaviour). */
    public static final SignalSet JOB_STOP = SignalSet.of(SIGTSTP, SIGTTIN, SIGTTOU);

    /** Signals the kernel sends to dewy about dewy's own doing; never meant for the application. */
    public static final SignalSet SELF_GENERATED = SignalSet.of(SIGPIPE, SIGXFSZ, SIGXCPU);

    /** Signals passed to the application unchanged. */
    public static final SignalSet FORWARDED = HANDLED.minus(DRAIN).minus(SignalSet.of(SIGUSR1, SIGCHLD));

    private Signals() {
    }

    /** {@code SIGTERM}, {@code SIGRTMIN+3}, {@code SIGRTMAX}, or {@code SIG42} for numbers with no name. */
    public static String name(int signo) {
        if (signo > 0 && signo < NAMES.length) {
            return NAMES[signo];
        }
        if (signo == SIGRTMIN) {
            return "SIGRTMIN";
        }
        if (signo == SIGRTMAX) {
            return "SIGRTMAX";
        }
        if (signo > SIGRTMIN && signo <= SIGRTMIN + 15) {
            return "SIGRTMIN+" + (signo - SIGRTMIN);
        }
        if (signo > SIGRTMIN + 15 && signo < SIGRTMAX) {
            return "SIGRTMAX-" + (SIGRTMAX - signo);
        }
        return "SIG" + signo;
    }

    /**
     * Parses {@code TERM}, {@code SIGTERM}, {@code term}, {@code 15}, {@code RTMIN+3} or {@code SIGRTMAX-2}.
     * Empty when the text names no signal between 1 and 64.
     */
    public static Optional<Integer> parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        if (digits(s, 0)) {
            return s.length() <= 2 ? inRange(Integer.parseInt(s)) : Optional.empty();
        }
        if (!s.startsWith("SIG")) {
            s = "SIG" + s;
        }
        if (s.length() > 3 && digits(s, 3)) {
            return parse(s.substring(3)); // SIG32: how name() spells numbers that have no name
        }
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i].equals(s)) {
                return Optional.of(i);
            }
        }
        if (s.equals("SIGIOT")) {
            return Optional.of(SIGABRT);
        }
        if (s.equals("SIGPOLL")) {
            return Optional.of(SIGIO);
        }
        if (s.equals("SIGRTMIN")) {
            return Optional.of(SIGRTMIN);
        }
        if (s.equals("SIGRTMAX")) {
            return Optional.of(SIGRTMAX);
        }
        if (s.startsWith("SIGRTMIN+")) {
            Optional<Integer> n = offset(s.substring(9));
            return n.isPresent() ? inRtRange(SIGRTMIN + n.get()) : n;
        }
        if (s.startsWith("SIGRTMAX-")) {
            Optional<Integer> n = offset(s.substring(9));
            return n.isPresent() ? inRtRange(SIGRTMAX - n.get()) : n;
        }
        return Optional.empty();
    }

    private static Optional<Integer> offset(String text) {
        if (text.isEmpty() || text.length() > 2 || !digits(text, 0)) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(text));
    }

    // Plain loops rather than streams here: this runs before the application starts, where each lambda costs.
    private static boolean digits(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static Optional<Integer> inRange(int signo) {
        return signo >= 1 && signo <= 64 ? Optional.of(signo) : Optional.empty();
    }

    private static Optional<Integer> inRtRange(int signo) {
        return signo >= SIGRTMIN && signo <= SIGRTMAX ? Optional.of(signo) : Optional.empty();
    }
}
