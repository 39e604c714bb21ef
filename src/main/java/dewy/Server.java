package dewy;

import dewy.boot.Relaunch;
import dewy.cli.CommandLine;
import dewy.cli.Config;
import dewy.cli.Help;
import dewy.cli.UsageException;
import dewy.log.Log;
import dewy.posix.Posix;
import dewy.posix.ProcFs;
import dewy.posix.Signals;
import dewy.supervisor.Clock;
import dewy.supervisor.EventLoop;
import dewy.supervisor.NativeProcesses;
import dewy.supervisor.Supervisor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@code dewy server}: check the signal mask (re-exec if needed), bind libc, start the application, run the loop. */
final class Server {
    static final int EXIT_USAGE = 2;
    static final int EXIT_INIT_FAILED = 125;

    private Server() {
    }

    static int run(List<String> args) {
        if (CommandLine.wantsHelp(args)) {
            System.out.print(Help.server());
            return 0;
        }
        Map<String, String> env = System.getenv();
        Config config;
        try {
            config = CommandLine.parseServer(args, env);
        } catch (UsageException e) {
            System.err.println("dewy: " + e.getMessage() + " (see 'dewy server --help')");
            return EXIT_USAGE;
        }

        Path installDir = Main.installDir();
        ProcFs proc = ProcFs.system();
        Posix posix;
        List<ProcFs.Leak> leaks;
        try {
            leaks = proc.threadsNotBlocking(Signals.HANDLED);
            posix = Posix.load(installDir);
        } catch (RuntimeException | LinkageError e) {
            System.err.println("dewy: cannot bind libc: " + e);
            return EXIT_INIT_FAILED;
        }
        if (!leaks.isEmpty()) {
            if (Relaunch.alreadyRelaunched(env)) {
                System.err.println("dewy: signals are still unblocked after re-exec (" + leaks.get(0).thread() + " lacks "
                        + leaks.get(0).unblocked() + "); start java with -Xrs and " + Relaunch.SR_SIGNUM + "="
                        + Signals.JVM_SUSPEND_RESUME);
                return EXIT_INIT_FAILED;
            }
            String why;
            try {
                posix.block(Signals.HANDLED);
                posix.closeOnExecAbove2();
                why = posix.execve("/proc/self/exe", Relaunch.argv(proc.selfCmdline(), installDir), Relaunch.env(env));
            } catch (RuntimeException e) {
                why = e.getMessage();
            }
            System.err.println("dewy: cannot re-exec the JVM with signals blocked: " + why);
            return EXIT_INIT_FAILED;
        }

        boolean pid1 = posix.pid() == 1;
        String subreaperError = pid1 ? null : posix.becomeChildSubreaper();
        Log.configure(config.logLevel(), config.logFormat());
        NativeProcesses processes = new NativeProcesses(posix, proc, Relaunch.applicationEnv(env), pid1);
        // Drain step 1, "stop starting new work": the deploy scheduler and the notifiers register here.
        List<Runnable> drainHooks = List.of();
        Supervisor supervisor = new Supervisor(config, processes, Clock.SYSTEM, posix.pid(), drainHooks);
        supervisor.start(); // spawns before the first log line: tinylog's start-up is not on the path to exec
        Log.info("dewy " + Main.version(), "pid", posix.pid(),
                "mode", pid1 ? "pid1" : "subreaper", "jvm_relaunched", Relaunch.alreadyRelaunched(env));
        if (!pid1 && subreaperError == null) {
            Log.info("not PID 1: registered as child subreaper (PR_SET_CHILD_SUBREAPER)", "pid", posix.pid());
        } else if (!pid1) {
            Log.warn("not PID 1 and not a subreaper: orphans go to the host's init", "error", subreaperError);
        }
        int status = EventLoop.run(posix, supervisor);
        Log.info("exiting", "status", status);
        return status;
    }
}
