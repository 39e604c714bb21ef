package dewy.cli;

import dewy.log.Log;
import dewy.starter.ListenSpec;
import dewy.starter.Readiness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything {@code dewy server} was asked to do, built once from flags and DEWY_* variables, then passed down.
 *
 * @param gracePeriod   time from the stop signal to SIGKILL, for restarts and drains alike
 * @param stopSignal    what the application gets when it should stop (TERM unless told otherwise)
 * @param command       the application's argv, searched in PATH like execvp
 * @param ports         the sockets dewy holds and passes to every generation; empty: no zero-downtime restarts
 * @param readiness     when a new generation counts as ready
 * @param restartSignal what older generations get once the new one is ready
 * @param drainDelay    time from TERM/INT/QUIT to the stop signal, while /readyz already says 503
 * @param admin         address of the admin HTTP server, or null
 * @param pidFile       where dewy writes its pid, or null
 * @param statusFile    where dewy writes one {@code generation:pid} line per live generation, or null
 * @param deploy        pull deploys, or null without {@code --registry}
 * @param notifiers     {@code --notifier} URLs (Slack, webhooks); the log always gets every event
 * @param signalGroup   forwarded, restart and stop signals go to each generation's process group, not only to its
 *                      main process ({@code --signal-group}, dumb-init's default)
 * @param successExitStatus exit statuses that count as 0 for dewy's own exit status and the crash policy
 *                      ({@code --success-exit-status 143}: a JVM stopped by TERM; tini's -e, systemd's
 *                      SuccessExitStatus=)
 * @param keepTokens    GITHUB_TOKEN, GH_TOKEN, SLACK_TOKEN and MAIL_USERNAME, MAIL_PASSWORD, MAIL_FROM stay in the
 *                      environment of the generations and their readiness checks ({@code --keep-tokens}); deploy
 *                      hooks get them either way
 * @param proxy         {@code --proxy}: dewy's TCP proxy listens here and forwards to the newest ready generation,
 *                      which binds the loopback port dewy gives it in PORT; null without
 */
public record Config(Log.Level logLevel, Log.Format logFormat, Duration gracePeriod, int stopSignal,
                     List<String> command, List<ListenSpec> ports, int backlog, Readiness readiness,
                     Duration readyTimeout, int restartSignal, Duration drainDelay, RestartPolicy restart,
                     ListenSpec admin, Path pidFile, Path statusFile, DeployConfig deploy, List<String> notifiers,
                     boolean signalGroup, java.util.Set<Integer> successExitStatus, boolean keepTokens,
                     ListenSpec proxy) {
    public Config {
        command = List.copyOf(command);
        successExitStatus = java.util.Set.copyOf(successExitStatus);
        ports = List.copyOf(ports);
        notifiers = List.copyOf(notifiers);
    }

    /** {@code dewy assets}: no command, no application; pull deploys swap current and run the hooks. */
    public boolean assets() {
        return command.isEmpty();
    }

    /** The status as dewy counts it: 0 for a status listed in {@code --success-exit-status}. */
    public int counted(int status) {
        return successExitStatus.contains(status) ? 0 : status;
    }

    /** Defaults for everything but the command (tests, and the base of {@link CommandLine}). */
    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    public static final class Builder {
        private Log.Level logLevel = Log.Level.INFO;
        private Log.Format logFormat = Log.Format.TEXT;
        private Duration gracePeriod = Duration.ofSeconds(30);
        private int stopSignal = 15;
        private final List<String> command;
        private List<ListenSpec> ports = List.of();
        private int backlog = 1024;
        private ListenSpec proxy;
        private Readiness readiness = Readiness.delay(Duration.ofSeconds(1));
        private Duration readyTimeout = Duration.ofSeconds(60);
        private int restartSignal = 15;
        private Duration drainDelay = Duration.ZERO;
        private RestartPolicy restart = new RestartPolicy(RestartPolicy.Mode.NEVER, Duration.ofSeconds(1), 5,
                Duration.ofMinutes(1));
        private ListenSpec admin;
        private Path pidFile;
        private Path statusFile;
        private DeployConfig deploy;
        private List<String> notifiers = List.of();
        private boolean signalGroup;
        private java.util.Set<Integer> successExitStatus = java.util.Set.of();
        private boolean keepTokens;

        private Builder(List<String> command) {
            this.command = command;
        }

        public Builder logLevel(Log.Level v) {
            logLevel = v;
            return this;
        }

        public Builder logFormat(Log.Format v) {
            logFormat = v;
            return this;
        }

        public Builder gracePeriod(Duration v) {
            gracePeriod = v;
            return this;
        }

        public Builder stopSignal(int v) {
            stopSignal = v;
            return this;
        }

        public Builder ports(List<ListenSpec> v) {
            ports = v;
            return this;
        }

        public Builder backlog(int v) {
            backlog = v;
            return this;
        }

        public Builder readiness(Readiness v) {
            readiness = v;
            return this;
        }

        public Builder readyTimeout(Duration v) {
            readyTimeout = v;
            return this;
        }

        public Builder restartSignal(int v) {
            restartSignal = v;
            return this;
        }

        public Builder drainDelay(Duration v) {
            drainDelay = v;
            return this;
        }

        public Builder restart(RestartPolicy v) {
            restart = v;
            return this;
        }

        public Builder admin(ListenSpec v) {
            admin = v;
            return this;
        }

        public Builder pidFile(Path v) {
            pidFile = v;
            return this;
        }

        public Builder statusFile(Path v) {
            statusFile = v;
            return this;
        }

        public Builder deploy(DeployConfig v) {
            deploy = v;
            return this;
        }

        public Builder notifiers(List<String> v) {
            notifiers = v;
            return this;
        }

        public Builder signalGroup(boolean v) {
            signalGroup = v;
            return this;
        }

        public Builder successExitStatus(java.util.Set<Integer> v) {
            successExitStatus = v;
            return this;
        }

        public Builder keepTokens(boolean v) {
            keepTokens = v;
            return this;
        }

        public Builder proxy(ListenSpec v) {
            proxy = v;
            return this;
        }

        public Config build() {
            return new Config(logLevel, logFormat, gracePeriod, stopSignal, command, ports, backlog, readiness,
                    readyTimeout, restartSignal, drainDelay, restart, admin, pidFile, statusFile, deploy, notifiers,
                    signalGroup, successExitStatus, keepTokens, proxy);
        }
    }
}
