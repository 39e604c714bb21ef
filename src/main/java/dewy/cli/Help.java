package dewy.cli;

/** The help texts. Options come from {@link CommandLine#SERVER_OPTIONS}, so the table cannot drift from the parser. */
public final class Help {
    private Help() {
    }

    public static String top() {
        return """
                dewy: container init and application supervisor

                Usage:
                  dewy server [options] -- COMMAND [ARGS...]   run COMMAND under dewy (as PID 1 or as a subreaper)
                  dewy assets --registry URL [options]         keep releases up to date in --workdir, with no
                                                               application: current swaps, the hooks run
                  dewy container --registry img://REG/REPO -p PORT [options] [-- ENGINE RUN OPTIONS]
                                                               keep N replicas of the newest image running
                                                               behind dewy's proxy, with rolling updates
                  dewy version                                 print the version
                  dewy help                                    this text; 'dewy server --help' lists the options
                """;
    }

    public static String assets() {
        StringBuilder sb = new StringBuilder("""
                Usage: dewy assets --registry URL [options]

                Keeps WORKDIR/current on the newest release in the registry, with no application: static files,
                configuration bundles, a front-end served by another process. Each deploy downloads and verifies the
                release, runs the before-deploy hook, swaps current, runs the after-deploy hook (a failure puts
                current back) and leaves the shipping report. SIGUSR1 and HUP change nothing; INT, TERM and QUIT end
                dewy with status 0, putting current back if a deploy's after-hook had not approved it yet.

                Options (each also read from the environment variable shown; the flag wins):
                """);
        options(sb, CommandLine.ASSETS_OPTIONS);
        sb.append("""

                Exit status:
                  0                      stopped by INT, TERM or QUIT
                  2                      bad flags or environment variables
                  125                    dewy itself could not start (native binding or signal setup failed)
                """);
        return sb.toString();
    }

    private static void options(StringBuilder sb, java.util.List<CommandLine.Option> options) {
        for (CommandLine.Option o : options) {
            String flag = (o.shortName() != null ? "-" + o.shortName() + ", " : "    ") + "--" + o.name()
                    + (o.metavar() == null ? "" : " " + o.metavar());
            sb.append(String.format("  %-30s %s%n  %-30s default %s, env %s%n", flag, o.help(), "",
                    o.defaultValue(), o.env()));
        }
        sb.append(String.format("  %-30s %s%n", "-h, --help", "this text"));
    }

    public static String server() {
        StringBuilder sb = new StringBuilder("""
                Usage: dewy server [options] -- COMMAND [ARGS...]

                Runs COMMAND in its own process group, reaps every zombie, forwards signals, restarts on SIGUSR1 and
                drains on SIGTERM, SIGINT and SIGQUIT.

                Options (each also read from the environment variable shown; the flag wins):
                """);
        options(sb, CommandLine.SERVER_OPTIONS);
        sb.append("""

                Signals:
                  HUP                    forwarded to the application, which is expected to reload
                  USR1                   graceful restart: stop signal, grace period, KILL, start again
                                         (one more USR1 during a restart queues exactly one more restart)
                  INT, TERM, QUIT        drain: stop signal to the application's process group, grace period,
                                         KILL to every remaining descendant, exit with the application's status
                  TSTP, TTIN, TTOU       forwarded; when dewy is not PID 1 it then stops itself too
                  CHLD                   reap every exited child
                  every other signal     forwarded unchanged to the application's process group (USR2, WINCH,
                                         CONT, ALRM, PIPE, realtime SIGRTMIN..SIGRTMAX-3 and SIGRTMAX, ...)
                  not forwardable        KILL, STOP, the fault signals (ILL, TRAP, ABRT, BUS, FPE, SEGV, SYS),
                                         SIGRTMAX-2 and SIGRTMAX-1 (kept by dewy's own JVM)

                Exit status:
                  0-255                  the application's exit code, or 128+N when signal N ended it
                  2                      bad flags or environment variables
                  125                    dewy itself could not start (native binding or signal setup failed)
                  126                    COMMAND was found but cannot be executed
                  127                    COMMAND was not found
                """);
        return sb.toString();
    }
}
