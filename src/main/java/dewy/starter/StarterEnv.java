package dewy.starter;

import java.util.ArrayList;
import java.util.List;

/**
 * The two socket-passing protocols, as exact strings.
 *
 * <ul>
 *   <li>server-starter: {@code SERVER_STARTER_PORT=8080=3;127.0.0.1:8081=4;/run/app.sock=5}: each spec as the user
 *       wrote it, {@code =}, its descriptor, joined by {@code ;} in flag order;</li>
 *   <li>systemd: {@code LISTEN_FDS=N} for the descriptors 3 .. 3+N-1 (only an unbroken run from 3 counts, as
 *       sd_listen_fds requires), {@code LISTEN_FDNAMES} with each spec's ':' turned into '_' (names may not contain
 *       ':'), and {@code LISTEN_PID}, set by the process itself (see {@link Starter}).</li>
 * </ul>
 */
public final class StarterEnv {
    public static final int SD_LISTEN_FDS_START = 3;

    private StarterEnv() {
    }

    public static String serverStarterPort(List<Listener> listeners) {
        StringBuilder sb = new StringBuilder();
        for (Listener l : listeners) {
            if (sb.length() > 0) {
                sb.append(';');
            }
            sb.append(l.spec().text()).append('=').append(l.childFd());
        }
        return sb.toString();
    }

    /** The listeners systemd's protocol can describe: those on 3, 4, ... without a gap, in descriptor order. */
    public static List<Listener> systemdRun(List<Listener> listeners) {
        // by descriptor, without a Comparator lambda: this runs before the first spawn
        List<Listener> run = new ArrayList<>();
        for (int next = SD_LISTEN_FDS_START; ; next++) {
            Listener at = null;
            for (Listener l : listeners) {
                if (l.childFd() == next) {
                    at = l;
                }
            }
            if (at == null) {
                return run;
            }
            run.add(at);
        }
    }

    public static String listenFdNames(List<Listener> run) {
        StringBuilder sb = new StringBuilder();
        for (Listener l : run) {
            if (sb.length() > 0) {
                sb.append(':');
            }
            sb.append(fdName(l.spec()));
        }
        return sb.toString();
    }

    static String fdName(ListenSpec spec) {
        return spec.text().replace(':', '_');
    }
}
