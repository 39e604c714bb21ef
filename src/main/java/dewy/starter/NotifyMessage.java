package dewy.starter;

/**
 * One sd_notify datagram: newline-separated {@code KEY=VALUE} assignments. dewy acts on {@code READY=1},
 * {@code STOPPING=1}, {@code STATUS=...}, {@code WATCHDOG=1} and {@code WATCHDOG=trigger} (the relayed watchdog);
 * other keys (MAINPID, ...) are accepted and ignored.
 */
public record NotifyMessage(boolean ready, boolean stopping, String status, Watchdog watchdog) {
    /** What the datagram said about the watchdog. */
    public enum Watchdog { NONE, PING, TRIGGER }

    public NotifyMessage(boolean ready, boolean stopping, String status) {
        this(ready, stopping, status, Watchdog.NONE);
    }

    public static NotifyMessage parse(String datagram) {
        boolean ready = false;
        boolean stopping = false;
        String status = null;
        Watchdog watchdog = Watchdog.NONE;
        for (String line : datagram.split("\n")) {
            if (line.equals("READY=1")) {
                ready = true;
            } else if (line.equals("WATCHDOG=1") && watchdog == Watchdog.NONE) {
                watchdog = Watchdog.PING;
            } else if (line.equals("WATCHDOG=trigger")) {
                watchdog = Watchdog.TRIGGER;
            } else if (line.equals("STOPPING=1")) {
                stopping = true;
            } else if (line.startsWith("STATUS=")) {
                status = line.substring("STATUS=".length());
            }
        }
        return new NotifyMessage(ready, stopping, status, watchdog);
    }
}
