package dewy.starter;

/**
 * One sd_notify datagram: newline-separated {@code KEY=VALUE} assignments. dewy acts on {@code READY=1},
 * {@code STOPPING=1} and {@code STATUS=...}; other keys (MAINPID, WATCHDOG, ...) are accepted and ignored.
 */
public record NotifyMessage(boolean ready, boolean stopping, String status) {
    public static NotifyMessage parse(String datagram) {
        boolean ready = false;
        boolean stopping = false;
        String status = null;
        for (String line : datagram.split("\n")) {
            if (line.equals("READY=1")) {
                ready = true;
            } else if (line.equals("STOPPING=1")) {
                stopping = true;
            } else if (line.startsWith("STATUS=")) {
                status = line.substring("STATUS=".length());
            }
        }
        return new NotifyMessage(ready, stopping, status);
    }
}
