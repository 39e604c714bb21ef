package dewy;

import dewy.admin.Publisher;
import dewy.admin.SystemdNotify;
import dewy.boot.Relaunch;
import dewy.boot.SignalMask;
import dewy.cli.CommandLine;
import dewy.cli.Config;
import dewy.cli.DeployConfig;
import dewy.cli.Durations;
import dewy.cli.Help;
import dewy.cli.UsageException;
import dewy.deploy.Fetcher;
import dewy.deploy.Registry;
import dewy.deploy.Releases;
import dewy.deploy.Scheduler;
import dewy.log.Log;
import dewy.notify.Event;
import dewy.notify.Notifications;
import dewy.posix.Posix;
import dewy.posix.ProcFs;
import dewy.starter.Listener;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import dewy.supervisor.Clock;
import dewy.supervisor.EventLoop;
import dewy.supervisor.Inbox;
import dewy.supervisor.Lifecycle;
import dewy.supervisor.NativeProcesses;
import dewy.supervisor.Supervisor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code dewy server} and {@code dewy assets} (the same with no application), wiring only: parse the flags, get the signal mask right and bind libc, open what the flags
 * ask for ({@link Resources}), connect the parts, start the application and run the loop.
 */
final class Server {
    static final int EXIT_USAGE = 2;
    static final int EXIT_INIT_FAILED = 125;
    private static final String SHELL = "/bin/sh";

    private Server() {
    }

    /** {@code mode}: {@code server} or {@code assets}. */
    static int run(List<String> args, String mode) {
        boolean assets = mode.equals("assets");
        if (CommandLine.wantsHelp(args)) {
            System.out.print(assets ? Help.assets() : Help.server());
            return 0;
        }
        Map<String, String> env = System.getenv();
        Config config;
        try {
            config = assets ? CommandLine.parseAssets(args, env) : CommandLine.parseServer(args, env);
        } catch (UsageException e) {
            System.err.println("dewy: " + e.getMessage() + " (see 'dewy " + mode + " --help')");
            return EXIT_USAGE;
        }

        Path installDir = Main.installDir();
        ProcFs proc = ProcFs.system();
        Posix posix = SignalMask.bindBlocked(installDir, proc, env);
        if (posix == null) {
            return EXIT_INIT_FAILED;
        }

        boolean pid1 = posix.pid() == 1;
        String subreaperError = pid1 ? null : posix.becomeChildSubreaper();
        Log.configure(config.logLevel(), config.logFormat());

        Resources resources;
        try {
            resources = Resources.open(config, env, posix);
        } catch (Resources.Refused e) {
            System.err.println("dewy: " + e.getMessage());
            return e.status;
        }
        try (resources) {
            return serve(config, env, posix, proc, pid1, subreaperError, resources);
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

    /** When systemd started dewy with Type=notify or notify-reload, dewy reports its own states to it. */
    private static SystemdNotify systemdNotify(Posix posix, Map<String, String> env, Config config) {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return null;
        }
        return new SystemdNotify(text -> posix.sendDatagram(socket, text),
                SystemdNotify.Bounds.of(config.readyTimeout(), config.gracePeriod(), config.drainDelay()));
    }

    /**
     * systemd's watchdog for dewy: half of WATCHDOG_USEC, when WATCHDOG_PID (if set) is dewy's pid; null without it.
     * A bad value is ignored with a warning: systemd then restarts dewy when the watchdog fires, as it should.
     */
    private static Duration watchdogInterval(Map<String, String> env, int pid) {
        String usec = env.get("WATCHDOG_USEC");
        String forPid = env.get("WATCHDOG_PID");
        if (usec == null || (forPid != null && !forPid.equals(Integer.toString(pid)))) {
            return null;
        }
        try {
            long micros = Long.parseLong(usec.trim());
            if (micros > 0) {
                return Duration.ofNanos(micros * 1000 / 2);
            }
        } catch (NumberFormatException e) {
            // below
        }
        Log.warn("WATCHDOG_USEC is not a positive number of microseconds; not pinging systemd's watchdog",
                "value", usec);
        return null;
    }

    /** How long one --proxy readiness check may take to connect and to answer. */
    private static final Duration PROXY_CHECK_TIMEOUT = Duration.ofSeconds(1);

    private static int serve(Config config, Map<String, String> env, Posix posix, ProcFs proc, boolean pid1,
                             String subreaperError, Resources resources) {
        String shell = Files.isExecutable(Path.of(SHELL)) ? SHELL : null;
        Starter starter = new Starter(resources.listeners, Relaunch.applicationEnv(env), shell, config.keepTokens());
        NativeProcesses processes = new NativeProcesses(posix, proc, pid1, resources.notifyDir);
        processes.passing(resources.listeners);
        Releases releases = resources.releases;
        Inbox inbox = null;
        Lifecycle lifecycle = Lifecycle.NONE;
        boolean awaitRelease = false;
        if (resources.eventFd >= 0) {
            int fd = resources.eventFd;
            inbox = new Inbox(fd, new Inbox.Waker() {
                @Override
                public void wake() {
                    posix.wake(fd);
                }
            });
        }
        if (config.deploy() != null) {
            resources.scheduler = scheduler(config.deploy(), resources.registry, releases, inbox, resources.notes);
            // no current, or one that dangles (its release was removed): nothing to run until the first deploy
            awaitRelease = releases.currentTag() == null && !Files.isDirectory(releases.current());
        }
        if (resources.notes != null) {
            lifecycle = new Announcements(resources.notes, resources.scheduler, releases);
        }
        SystemdNotify systemd = systemdNotify(posix, env, config);
        Duration watchdog = systemd == null ? null : watchdogInterval(env, posix.pid());
        if (watchdog != null) {
            starter.relayWatchdog(watchdog.toNanos() * 2 / 1000); // each generation gets systemd's interval
        }
        Supervisor supervisor = new Supervisor(config, starter, processes, Clock.SYSTEM, posix.pid(), lifecycle,
                Publisher.of(resources.admin, config.statusFile(), systemd), releases);
        if (resources.proxy != null) {
            Inbox posted = inbox;
            resources.healthChecks = new dewy.proxy.HealthChecks(Readiness.CHECK_INTERVAL, PROXY_CHECK_TIMEOUT,
                    generation -> posted.post(new dewy.supervisor.Request.Healthy(generation)));
            processes.healthChecks(resources.healthChecks);
            dewy.proxy.TcpProxy proxy = resources.proxy;
            supervisor.backends(ports -> proxy.publish(ports.stream()
                    .map(p -> new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), p)).toList()));
        }
        if (config.assets()) {
            supervisor.runNoApplication(!awaitRelease);
        } else if (awaitRelease) {
            supervisor.awaitFirstRelease();
        } else {
            supervisor.start(); // spawns before the first log line: tinylog's start-up is not on the path to exec
        }
        if (watchdog != null) {
            supervisor.watchdog(watchdog, systemd::ping);
            Log.info("pinging systemd's watchdog; generations get WATCHDOG_USEC and must ping dewy", "every",
                    Durations.format(watchdog));
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
        if (resources.proxy != null) {
            Log.info("proxying", "address", config.proxy().text(), "port", resources.proxy.address().getPort(),
                    "ready", config.readiness());
        }
        if (starter.listenPidMissing()) {
            Log.warn("no " + SHELL + ": LISTEN_PID cannot be set, so libsystemd and go-systemd ignore LISTEN_FDS; "
                    + "SERVER_STARTER_PORT works");
        }
        if (resources.admin != null) {
            // the Prometheus client loads here, after the first spawn, and only with --admin
            dewy.metrics.PrometheusMetrics metrics = new dewy.metrics.PrometheusMetrics(resources.admin::status);
            resources.admin.metrics(metrics);
            supervisor.metrics(metrics);
            if (resources.notes != null) {
                resources.notes.metrics(metrics);
            }
            if (resources.scheduler != null) {
                resources.scheduler.metrics(metrics);
                resources.admin.deploy(resources.scheduler::snapshot);
            }
            resources.admin.start();
            Log.info("admin server", "address", config.admin().text(), "port", resources.admin.port());
        }
        if (resources.notes != null) {
            // Go dewy's words; its command is the mode, then dewy's application
            resources.notes.publish(Event.info(Event.STARTED, "Automatic shipping started by *Dewy* (v"
                    + Main.version() + (config.assets() ? ": assets)" : ": server) for " + config.command().get(0)),
                    releases == null ? null : releases.currentTag()));
            Log.info("notifiers", "to", String.join(", ", resources.notes.describe()));
        }
        if (resources.scheduler != null) {
            Log.info("pull deploys", "registry", resources.registry.describe(), "interval",
                    Durations.format(config.deploy().interval()), "workdir", config.deploy().workdir().toAbsolutePath(),
                    "current", String.valueOf(releases.currentTag()));
            resources.scheduler.start();
        }
        int status = EventLoop.run(posix, supervisor, inbox);
        if (resources.proxy != null) {
            dewy.proxy.TcpProxy.Stats s = resources.proxy.stats();
            Log.info("proxy totals", "accepted", s.accepted(), "handed_over", s.handedOver(), "connect_failures",
                    s.connectFailures(), "waited_too_long", s.waitedTooLong(), "idle_closed", s.idleClosed());
        }
        Log.info("exiting", "status", status);
        return status;
    }
}
