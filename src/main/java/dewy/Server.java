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
import dewy.supervisor.Inbox;
import dewy.supervisor.Lifecycle;
import dewy.cli.DeployConfig;
import dewy.cli.Durations;
import dewy.deploy.Fetcher;
import dewy.deploy.Registry;
import dewy.deploy.Releases;
import dewy.deploy.Scheduler;
import dewy.notify.Event;
import dewy.notify.Notifications;
import java.time.Duration;
import dewy.supervisor.NativeProcesses;
import dewy.supervisor.Supervisor;
import dewy.admin.AdminServer;
import dewy.admin.Publisher;
import dewy.admin.StatusFiles;
import dewy.admin.SystemdNotify;
import dewy.starter.ListenSpec;
import dewy.starter.Listener;
import dewy.starter.Listeners;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import dewy.starter.StarterEnv;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/** {@code dewy server}: check the signal mask (re-exec if needed), bind libc, start the application, run the loop. */
final class Server {
    static final int EXIT_USAGE = 2;
    static final int EXIT_INIT_FAILED = 125;
    private static final String SHELL = "/bin/sh";
    /** How long dewy's exit waits for notifications still on their way (the "stopping" message). */
    static final Duration NOTIFY_FLUSH = Duration.ofSeconds(3);
    private static final Duration SCHEDULER_STOP = Duration.ofSeconds(2);

    /** What dewy created and removes again when it exits. */
    private static final class Resources {
        private final Posix posix;
        List<Listener> listeners = List.of();
        AdminServer admin;
        Path notifyDir;
        Path pidFile;
        Path statusFile;
        int eventFd = -1;
        Scheduler scheduler;
        Notifications notes;

        Resources(Posix posix) {
            this.posix = posix;
        }

        void close() {
            if (scheduler != null) {
                scheduler.awaitStopped(SCHEDULER_STOP);
            }
            if (notes != null) {
                if (!notes.flush(NOTIFY_FLUSH)) {
                    Log.warn("notifications not delivered before exit", "waited", "3s");
                }
                notes.close();
            }
            if (eventFd >= 0) {
                posix.close(eventFd);
            }
            if (admin != null) {
                admin.stop();
            }
            Listeners.close(posix, listeners);
            if (notifyDir != null) {
                try (var files = Files.list(notifyDir)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException e) {
                    // best effort at exit
                }
            }
            for (Path p : new Path[] {pidFile, statusFile, notifyDir}) {
                if (p != null) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        // best effort at exit
                    }
                }
            }
        }
    }

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
                // sockets systemd passed to dewy stay open across the re-exec (LISTEN_PID: the pid does not change)
                posix.closeOnExecAbove2(StarterEnv.SD_LISTEN_FDS_START + Listeners.inherited(env, posix.pid()).size());
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

        Resources resources = new Resources(posix);
        try {
            return serve(config, env, posix, proc, pid1, subreaperError, resources);
        } finally {
            resources.close();
        }
    }

    /** The deploy scheduler, posting to the loop's inbox (anonymous classes: no lambda bootstrap before the spawn). */
    private static Scheduler scheduler(DeployConfig deploy, Registry registry, Releases releases, Inbox inbox,
                                       Notifications notes) {
        return new Scheduler(deploy, registry, new Fetcher(registry), releases,
                new java.util.function.Consumer<>() {
                    @Override
                    public void accept(dewy.supervisor.Request request) {
                        inbox.post(request);
                    }
                }, notes, new Scheduler.Sleeper() {
                    @Override
                    public void sleep(Duration d) throws InterruptedException {
                        Thread.sleep(d.toMillis());
                    }
                });
    }

        /** When systemd started dewy with Type=notify, dewy reports its own readiness and drain to it. */
    private static SystemdNotify systemdNotify(Posix posix, Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return null;
        }
        return new SystemdNotify(text -> posix.sendDatagram(socket, text));
    }

    private static int serve(Config config, Map<String, String> env, Posix posix, ProcFs proc, boolean pid1,
                             String subreaperError, Resources resources) {
        // Everything that can fail on bad input fails here, before the application starts.
        try {
            resources.listeners = Listeners.open(posix, Listeners.inherited(env, posix.pid()), config.ports(),
                    config.backlog());
        } catch (Listeners.OpenException e) {
            System.err.println("dewy: " + e.getMessage());
            return EXIT_USAGE;
        }
        if (config.admin() != null) {
            ListenSpec a = config.admin();
            try {
                InetAddress host = InetAddress.getByName(a.host() == null ? "0.0.0.0" : a.host());
                resources.admin = AdminServer.bind(new InetSocketAddress(host, a.port()), Main.version(),
                        resources.listeners);
            } catch (IOException e) {
                System.err.println("dewy: --admin " + a.text() + ": " + (e instanceof java.net.BindException
                        ? "address already in use" : e.getMessage()));
                return EXIT_USAGE;
            }
        }
        if (config.pidFile() != null) {
            try {
                StatusFiles.write(config.pidFile(), posix.pid() + "\n");
                resources.pidFile = config.pidFile();
            } catch (IOException e) {
                System.err.println("dewy: --pid-file " + config.pidFile() + ": " + e);
                return EXIT_USAGE;
            }
        }
        resources.statusFile = config.statusFile();
        if (config.readiness().kind() == Readiness.Kind.NOTIFY) {
            try {
                // sun_path holds 107 bytes: a long TMPDIR falls back to /tmp
                String tmp = env.getOrDefault("TMPDIR", "/tmp");
                if (tmp.length() > 60) {
                    tmp = "/tmp";
                }
                // 0711: an application that dropped its privileges can reach its socket, but nobody can list them
                resources.notifyDir = Files.createTempDirectory(Path.of(tmp), "dewy-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Files.setPosixFilePermissions(resources.notifyDir, PosixFilePermissions.fromString("rwx--x--x"));
            } catch (IOException | RuntimeException e) {
                System.err.println("dewy: cannot create a directory for NOTIFY_SOCKET: " + e);
                return EXIT_INIT_FAILED;
            }
        }
        // Pull deploys and notifiers: a bad URL or workdir is a usage error before the application starts.
        Registry registry = null;
        Releases releases = null;
        if (config.deploy() != null || !config.notifiers().isEmpty()) {
            try {
                resources.notes = Notifications.create(config.notifiers(), env);
            } catch (IllegalArgumentException e) {
                System.err.println("dewy: " + e.getMessage());
                return EXIT_USAGE;
            }
        }
        if (config.deploy() != null) {
            DeployConfig d = config.deploy();
            try {
                registry = Registry.parse(d.registry(), env);
            } catch (IllegalArgumentException e) {
                System.err.println("dewy: --registry " + d.registry() + ": " + e.getMessage());
                return EXIT_USAGE;
            }
            releases = new Releases(d.workdir(), java.time.Clock.systemUTC());
            try {
                Files.createDirectories(releases.releasesDir());
                releases.cleanStaging(); // what a killed dewy left half-done
            } catch (IOException | RuntimeException e) {
                String why = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                        : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                        : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                        : e.getClass().getSimpleName();
                System.err.println("dewy: --workdir " + d.workdir() + ": cannot use it: " + why);
                return EXIT_USAGE;
            }
        }
        String shell = Files.isExecutable(Path.of(SHELL)) ? SHELL : null;
        Starter starter = new Starter(resources.listeners, Relaunch.applicationEnv(env), shell, config.keepTokens());
        NativeProcesses processes = new NativeProcesses(posix, proc, pid1, resources.notifyDir);
        processes.passing(resources.listeners);
        Inbox inbox = null;
        Lifecycle lifecycle = Lifecycle.NONE;
        boolean awaitRelease = false;
        if (config.deploy() != null) {
            int fd = posix.eventFd();
            resources.eventFd = fd;
            inbox = new Inbox(fd, new Inbox.Waker() {
                @Override
                public void wake() {
                    posix.wake(fd);
                }
            });
            resources.scheduler = scheduler(config.deploy(), registry, releases, inbox, resources.notes);
            // no current, or one that dangles (its release was removed): nothing to run until the first deploy
            awaitRelease = releases.currentTag() == null && !Files.isDirectory(releases.current());
        }
        if (resources.notes != null) {
            lifecycle = new Announcements(resources.notes, resources.scheduler, releases);
        }
        Supervisor supervisor = new Supervisor(config, starter, processes, Clock.SYSTEM, posix.pid(), lifecycle,
                Publisher.of(resources.admin, config.statusFile(), systemdNotify(posix, env)), releases);
        if (awaitRelease) {
            supervisor.awaitFirstRelease();
        } else {
            supervisor.start(); // spawns before the first log line: tinylog's start-up is not on the path to exec
        }
        Log.info("dewy " + Main.version(), "pid", posix.pid(),
                "mode", pid1 ? "pid1" : "subreaper", "jvm_relaunched", Relaunch.alreadyRelaunched(env));
        if (!pid1 && subreaperError == null) {
            Log.info("not PID 1: registered as child subreaper (PR_SET_CHILD_SUBREAPER)", "pid", posix.pid());
        } else if (!pid1) {
            Log.warn("not PID 1 and not a subreaper: orphans go to the host's init", "error", subreaperError);
        }
        for (Listener l : resources.listeners) {
            Log.info("listening", "spec", l.spec().text(), "fd", l.childFd(), "port", l.port());
        }
        if (starter.listenPidMissing()) {
            Log.warn("no " + SHELL + ": LISTEN_PID cannot be set, so libsystemd and go-systemd ignore LISTEN_FDS; "
                    + "SERVER_STARTER_PORT works");
        }
        if (resources.admin != null) {
            if (resources.scheduler != null) {
                resources.admin.deploy(resources.scheduler::snapshot);
            }
            resources.admin.start();
            Log.info("admin server", "address", config.admin().text(), "port", resources.admin.port());
        }
        if (resources.notes != null) {
            resources.notes.publish(Event.info(Event.STARTED, "dewy " + Main.version() + " started: "
                    + config.command().get(0), releases == null ? null : releases.currentTag()));
            Log.info("notifiers", "to", String.join(", ", resources.notes.describe()));
        }
        if (resources.scheduler != null) {
            Log.info("pull deploys", "registry", registry.describe(), "interval",
                    Durations.format(config.deploy().interval()), "workdir", config.deploy().workdir().toAbsolutePath(),
                    "current", String.valueOf(releases.currentTag()));
            resources.scheduler.start();
        }
        int status = EventLoop.run(posix, supervisor, inbox);
        Log.info("exiting", "status", status);
        return status;
    }
}
