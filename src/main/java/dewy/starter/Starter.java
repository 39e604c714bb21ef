package dewy.starter;

import java.util.ArrayList;
import java.util.List;

/**
 * What each generation is started with: its argv, its environment with the socket-passing and readiness
 * variables, and where its listening sockets go.
 *
 * <p>LISTEN_PID must be the application's own pid, which only exists once it runs; posix_spawn cannot set it. So
 * when there are systemd-style sockets and {@code /bin/sh} exists, the generation starts as
 * {@code /bin/sh -c 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"' COMMAND ARGS...}: the shell's pid is the pid
 * that exec keeps. Without {@code /bin/sh} LISTEN_PID is left unset (libsystemd and go-systemd then ignore
 * LISTEN_FDS; server-starter's variable still works).
 */
public final class Starter {
    /** Variables that describe dewy's own environment (its systemd, its sockets), never the application's. */
    static final List<String> OWN_VARIABLES = List.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET",
            "WATCHDOG_USEC", "WATCHDOG_PID", "SERVER_STARTER_PORT", "SERVER_STARTER_GENERATION");
    static final String LISTEN_PID_SCRIPT = "LISTEN_PID=$$; export LISTEN_PID; exec \"$@\"";
    /**
     * Credentials dewy itself reads (the GitHub registry, the Slack and mail notifiers) and the application has no
     * use for: not passed to generations and their readiness checks unless {@code --keep-tokens}. Deploy hooks, the
     * operator's own machinery, get them.
     */
    public static final List<String> TOKENS = List.of("GITHUB_TOKEN", "GH_TOKEN", "SLACK_TOKEN",
            "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM");

    /** argv, environment, and descriptors: {@code from[i]} (dewy's) becomes {@code to[i]} (the application's). */
    public record Launch(List<String> argv, List<String> env, int[] from, int[] to) {
    }

    private final List<Listener> listeners;
    private final List<String> baseEnv;
    /** {@link #baseEnv} without the {@link #TOKENS}, unless they are kept: what generations and checks start from. */
    private final List<String> applicationEnv;
    private final String shell;
    /** The watchdog relayed to generations, in µs (systemd's WATCHDOG_USEC), or 0 for none. */
    private long watchdogUsec;

    /** {@link #Starter(List, List, String, boolean)} that keeps the tokens away from the application. */
    public Starter(List<Listener> listeners, List<String> baseEnv, String shell) {
        this(listeners, baseEnv, shell, false);
    }

    /**
     * @param baseEnv    the application's environment before dewy adds to it, as NAME=value entries
     * @param shell      the shell that sets LISTEN_PID, or null when there is none
     * @param keepTokens whether generations and readiness checks get the {@link #TOKENS} too
     */
    public Starter(List<Listener> listeners, List<String> baseEnv, String shell, boolean keepTokens) {
        this.listeners = List.copyOf(listeners);
        // plain loops: no lambda or stream bootstrap before the first spawn (start-up time)
        List<String> kept = new ArrayList<>(baseEnv.size());
        List<String> application = new ArrayList<>(baseEnv.size());
        for (String e : baseEnv) {
            String name = e.substring(0, Math.max(0, e.indexOf('=')));
            if (!OWN_VARIABLES.contains(name)) {
                kept.add(e);
                if (keepTokens || !TOKENS.contains(name)) {
                    application.add(e);
                }
            }
        }
        this.baseEnv = kept;
        this.applicationEnv = application;
        this.shell = shell;
    }

    public List<Listener> listeners() {
        return listeners;
    }

    /**
     * Relays systemd's watchdog: each generation gets {@code WATCHDOG_USEC} (not WATCHDOG_PID: a shell cannot set it
     * for the process it execs, and libsystemd takes an unset one as its own). One that pings dewy with WATCHDOG=1
     * and then stops is restarted as a crash; one that never pings is never judged. Set before the first spawn.
     */
    public void relayWatchdog(long usec) {
        watchdogUsec = usec;
    }

    /** The relayed watchdog interval in µs, 0 when none. */
    public long watchdogUsec() {
        return watchdogUsec;
    }

    public boolean hasListeners() {
        return !listeners.isEmpty();
    }

    /** Whether generations start through the LISTEN_PID shell (so a missing command must be caught before). */
    public boolean wrapsWithShell() {
        return shell != null && !StarterEnv.systemdRun(listeners).isEmpty();
    }

    /** True when sockets are passed the systemd way but LISTEN_PID cannot be set (no shell). */
    public boolean listenPidMissing() {
        return shell == null && !StarterEnv.systemdRun(listeners).isEmpty();
    }

    /** The environment before dewy adds anything, tokens included: deploy hooks run with it. */
    public List<String> baseEnv() {
        return baseEnv;
    }

    /**
     * The environment of generation {@code generation} and of its readiness checks (without the {@link #TOKENS}
     * unless kept); notifySocket may be null.
     */
    public List<String> env(int generation, String notifySocket) {
        List<String> env = new ArrayList<>(applicationEnv);
        if (!listeners.isEmpty()) {
            env.add("SERVER_STARTER_PORT=" + StarterEnv.serverStarterPort(listeners));
            // LISTEN_PID comes from the shell wrapper, see launch()
            List<Listener> run = StarterEnv.systemdRun(listeners);
            if (!run.isEmpty()) {
                env.add("LISTEN_FDS=" + run.size());
                env.add("LISTEN_FDNAMES=" + StarterEnv.listenFdNames(run));
            }
        }
        if (!listeners.isEmpty()) {
            env.add("SERVER_STARTER_GENERATION=" + generation);
        }
        if (notifySocket != null) {
            env.add("NOTIFY_SOCKET=" + notifySocket);
        }
        return env;
    }

    public Launch launch(List<String> command, int generation, String notifySocket) {
        return launch(command, generation, notifySocket, List.of());
    }

    /** {@code extraEnv}: this generation's own variables ({@code PORT=} under {@code --proxy}). */
    public Launch launch(List<String> command, int generation, String notifySocket, List<String> extraEnv) {
        int[] from = new int[listeners.size()];
        int[] to = new int[listeners.size()];
        for (int i = 0; i < listeners.size(); i++) {
            from[i] = listeners.get(i).dewyFd();
            to[i] = listeners.get(i).childFd();
        }
        List<String> argv = command;
        if (wrapsWithShell()) {
            argv = new ArrayList<>(List.of(shell, "-c", LISTEN_PID_SCRIPT, command.get(0)));
            argv.addAll(command);
        }
        List<String> env = env(generation, notifySocket);
        env.addAll(extraEnv);
        if (watchdogUsec > 0 && notifySocket != null) { // the generation's own, not its readiness checks'
            env.add("WATCHDOG_USEC=" + watchdogUsec);
        }
        return new Launch(List.copyOf(argv), env, from, to);
    }
}
