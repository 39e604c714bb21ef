package dewy.admin;

import dewy.log.Log;
import dewy.supervisor.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * dewy's own sd_notify, when systemd runs it with {@code Type=notify} or {@code Type=notify-reload}: READY=1 once the
 * first generation is ready, STATUS= with the serving generation, STOPPING=1 when the drain starts; for a USR1 reload
 * (systemd's {@code ReloadSignal=SIGUSR1}) RELOADING=1 with MONOTONIC_USEC= in one datagram, then READY=1 once the
 * new generation is ready, or READY=1 with a STATUS= saying the reload failed. EXTEND_TIMEOUT_USEC= goes with each
 * state that dewy bounds itself (a start, a reload, the drain), so that a slow JVM is not killed by systemd's shorter
 * default timeouts while dewy's own ones still run. The application's messages go to dewy (its own NOTIFY_SOCKET),
 * never to systemd.
 */
public final class SystemdNotify implements Consumer<Status> {
    /** Sends one datagram; a failure is reported by the caller. */
    public interface Sender {
        void send(String text) throws java.io.IOException;
    }

    /** Added to dewy's own bounds in EXTEND_TIMEOUT_USEC: dewy's timer must fire before systemd's. */
    static final Duration MARGIN = Duration.ofSeconds(5);

    /**
     * dewy's own bounds for each state systemd times: a start (--ready-timeout), a reload (the new generation's
     * --ready-timeout, then the old one's --grace-period) and the drain (--drain-delay and --grace-period).
     */
    public record Bounds(Duration start, Duration reload, Duration stop) {
        public static Bounds of(Duration readyTimeout, Duration gracePeriod, Duration drainDelay) {
            return new Bounds(readyTimeout, readyTimeout.plus(gracePeriod), drainDelay.plus(gracePeriod));
        }
    }

    private final Sender sender;
    private final Bounds bounds;
    private Status last;

    public SystemdNotify(Sender sender, Bounds bounds) {
        this.sender = sender;
        this.bounds = bounds;
    }

    /** What to tell systemd when the status goes from {@code before} (null at first) to {@code after}. */
    static List<String> messages(Status before, Status after, int pid, Bounds bounds) {
        List<String> out = new ArrayList<>();
        boolean wasReady = before != null && before.ready();
        boolean readyOnce = before != null && (before.ready() || before.restarts() > 0 || before.current() > 0);
        if (!readyOnce && !after.ready() && !after.draining() && startsAGeneration(before, after)) {
            out.add(extend(bounds.start())); // before the first READY=1: a JVM may outlast TimeoutStartSec
        }
        Status.Reload was = before == null ? Status.Reload.NONE : before.reload();
        Status.Reload now = after.reload();
        boolean reloadBegan = now.begun() > was.begun();
        boolean reloadEnded = (reloadBegan || was.underWay()) && !now.underWay();
        if (reloadBegan) {
            out.add("RELOADING=1\nMONOTONIC_USEC=" + now.startedUsec() + "\nSTATUS=reloading\n"
                    + extend(bounds.reload()));
        }
        if (after.ready() && !readyOnce) {
            out.add("READY=1\nMAINPID=" + pid + "\nSTATUS=serving, generation " + after.current());
        } else if (reloadEnded && !after.draining()) {
            out.add("READY=1\nSTATUS=" + (now.failure() == null ? "serving, generation " + after.current()
                    : "reload failed: " + oneLine(now.failure()) + (after.current() > 0 ? "; generation "
                    + after.current() + " serves on" : "")));
        } else if (after.ready() && (!wasReady || before.current() != after.current())) {
            out.add("STATUS=serving, generation " + after.current());
        }
        if (after.draining() && (before == null || !before.draining())) {
            out.add("STOPPING=1\nSTATUS=draining\n" + extend(bounds.stop()));
        }
        return out;
    }

    /** A generation that {@code before} did not have is starting. */
    private static boolean startsAGeneration(Status before, Status after) {
        for (Status.Gen g : after.generations()) {
            if (g.state().equals("starting") && (before == null
                    || before.generations().stream().noneMatch(b -> b.generation() == g.generation()))) {
                return true;
            }
        }
        return false;
    }

    /** systemd's WATCHDOG=1, sent from the loop's own turn. */
    public void ping() {
        send("WATCHDOG=1");
    }

    private static String extend(Duration bound) {
        return "EXTEND_TIMEOUT_USEC=" + bound.plus(MARGIN).toNanos() / 1000;
    }

    /** A STATUS= value is one line: the protocol is newline-separated assignments. */
    private static String oneLine(String text) {
        return text.replace('\n', ' ').replace('\r', ' ');
    }

    @Override
    public void accept(Status status) {
        for (String m : messages(last, status, status.pid(), bounds)) {
            send(m);
        }
        last = status;
    }

    private void send(String m) {
        try {
            sender.send(m);
        } catch (java.io.IOException e) {
            Log.warn("cannot notify systemd", "error", e.getMessage());
        }
    }
}
