package dewy.admin;

import dewy.log.Log;
import dewy.supervisor.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * dewy's own sd_notify, when systemd runs it with {@code Type=notify}: READY=1 once the first generation is ready,
 * STATUS= with the serving generation, STOPPING=1 when the drain starts. The application's messages go to dewy
 * (its own NOTIFY_SOCKET), never to systemd.
 */
public final class SystemdNotify implements Consumer<Status> {
    /** Sends one datagram; a failure is reported by the caller. */
    public interface Sender {
        void send(String text) throws java.io.IOException;
    }

    private final Sender sender;
    private Status last;

    public SystemdNotify(Sender sender) {
        this.sender = sender;
    }

    /** What to tell systemd when the status goes from {@code before} (null at first) to {@code after}. */
    static List<String> messages(Status before, Status after, int pid) {
        List<String> out = new ArrayList<>();
        boolean wasReady = before != null && before.ready();
        boolean readyOnce = before != null && (before.ready() || before.restarts() > 0 || before.current() > 0);
        if (after.ready() && !readyOnce) {
            out.add("READY=1\nMAINPID=" + pid + "\nSTATUS=serving, generation " + after.current());
        } else if (after.ready() && (!wasReady || before.current() != after.current())) {
            out.add("STATUS=serving, generation " + after.current());
        }
        if (after.draining() && (before == null || !before.draining())) {
            out.add("STOPPING=1\nSTATUS=draining");
        }
        return out;
    }

    @Override
    public void accept(Status status) {
        for (String m : messages(last, status, status.pid())) {
            try {
                sender.send(m);
            } catch (java.io.IOException e) {
                Log.warn("cannot notify systemd", "error", e.getMessage());
            }
        }
        last = status;
    }
}
