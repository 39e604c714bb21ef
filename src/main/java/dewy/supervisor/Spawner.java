package dewy.supervisor;

import dewy.cli.Config;
import dewy.log.Log;
import dewy.posix.SpawnException;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Starts generations. Every way a spawn can fail ends in one {@link Result}: a generation, or a
 * {@link SpawnException} that says whether the command is to blame. Nothing a failed spawn opened stays open.
 */
final class Spawner {
    /** A generation, or why none started. */
    record Result(Generation generation, SpawnException failure) {
        boolean started() {
            return generation != null;
        }
    }

    private final Config config;
    private final Starter starter;
    private final Processes processes;
    private final Clock clock;
    private int lastNumber;

    Spawner(Config config, Starter starter, Processes processes, Clock clock) {
        this.config = config;
        this.starter = starter;
        this.processes = processes;
        this.clock = clock;
    }

    /** Whether the command would start now (checked before a restart stops anything). */
    Optional<SpawnException> checkRunnable() {
        return processes.checkRunnable(config.command().get(0));
    }

    Result spawn(String reason) {
        if (starter.wrapsWithShell()) { // the shell would turn a missing command into its own exit 127
            Optional<SpawnException> problem = checkRunnable();
            if (problem.isPresent()) {
                return new Result(null, problem.get());
            }
        }
        int number = lastNumber + 1;
        NotifyChannel notify = null;
        if (config.readiness().kind() == Readiness.Kind.NOTIFY) {
            try {
                notify = processes.openNotify(number);
            } catch (IOException | RuntimeException e) {
                return new Result(null, SpawnException.system("NOTIFY_SOCKET", String.valueOf(e.getMessage())));
            }
        }
        int port = 0;
        if (config.proxy() != null) {
            try {
                port = processes.freeLoopbackPort();
            } catch (IOException | RuntimeException e) {
                if (notify != null) {
                    processes.closeNotify(notify);
                }
                return new Result(null, SpawnException.system("a free port for PORT", String.valueOf(e.getMessage())));
            }
        }
        List<String> own = port == 0 ? List.of() : List.of("PORT=" + port, "DEWY_PORT=" + port);
        int pid;
        try {
            pid = processes.spawn(starter.launch(config.command(), number, notify == null ? null : notify.path(), own));
        } catch (SpawnException | RuntimeException e) {
            if (notify != null) {
                processes.closeNotify(notify);
            }
            return new Result(null, e instanceof SpawnException se ? se
                    : SpawnException.system("posix_spawn", String.valueOf(e.getMessage())));
        }
        lastNumber = number;
        Generation g = new Generation(number, pid, clock.nanoTime(), clock.epochMillis(), reason, notify);
        g.backendPort = port;
        if (port == 0) {
            Log.info("started", "generation", number, "pid", pid, "reason", reason, "command", config.command().get(0));
        } else {
            Log.info("started", "generation", number, "pid", pid, "reason", reason, "command", config.command().get(0),
                    "port", port);
        }
        return new Result(g, null);
    }
}
