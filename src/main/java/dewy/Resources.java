package dewy;

import dewy.admin.AdminServer;
import dewy.admin.StatusFiles;
import dewy.cli.Config;
import dewy.cli.DeployConfig;
import dewy.deploy.Registry;
import dewy.deploy.Releases;
import dewy.deploy.Scheduler;
import dewy.log.Log;
import dewy.notify.Notifications;
import dewy.posix.Posix;
import dewy.starter.ListenSpec;
import dewy.starter.Listener;
import dewy.starter.Listeners;
import dewy.starter.Readiness;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What dewy opens before the application starts, and removes again when it exits: the listening sockets, the
 * admin server, the pid file, the NOTIFY_SOCKET directory, the notifiers, the registry and the work directory.
 * Everything that can fail on bad input fails in {@link #open}, with one line and its exit status, before the
 * application starts.
 */
final class Resources implements AutoCloseable {
    /** How long dewy's exit waits for notifications still on their way (the "stopping" message). */
    static final Duration NOTIFY_FLUSH = Duration.ofSeconds(3);
    private static final Duration SCHEDULER_STOP = Duration.ofSeconds(2);

    /** Bad input or an unusable environment: dewy exits with {@code status} after one line on stderr. */
    static final class Refused extends Exception {
        final int status;

        Refused(int status, String line) {
            super(line);
            this.status = status;
        }
    }

    private final Posix posix;
    List<Listener> listeners = List.of();
    AdminServer admin;
    Path notifyDir;
    Path pidFile;
    Path statusFile;
    int eventFd = -1;
    Notifications notes;
    Registry registry;
    Releases releases;
    /** Started by the wiring; stopped and waited for here. */
    Scheduler scheduler;
    /** {@code --proxy}: dewy's TCP proxy on the public address, and the readiness checks of the generations' ports. */
    dewy.proxy.TcpProxy proxy;
    dewy.proxy.HealthChecks healthChecks;

    private Resources(Posix posix) {
        this.posix = posix;
    }

    /** Opens everything {@code config} asks for; what was opened before a refusal is closed again. */
    static Resources open(Config config, Map<String, String> env, Posix posix) throws Refused {
        Resources r = new Resources(posix);
        try {
            r.openAll(config, env);
            return r;
        } catch (Refused e) {
            r.close();
            throw e;
        }
    }

    private void openAll(Config config, Map<String, String> env) throws Refused {
        try {
            listeners = Listeners.open(posix, Listeners.inherited(env, posix.pid()), config.ports(), config.backlog());
        } catch (Listeners.OpenException e) {
            throw new Refused(Server.EXIT_USAGE, e.getMessage());
        }
        if (config.admin() != null) {
            ListenSpec a = config.admin();
            try {
                InetAddress host = InetAddress.getByName(a.host() == null ? "0.0.0.0" : a.host());
                admin = AdminServer.bind(new InetSocketAddress(host, a.port()), Main.version(), listeners);
            } catch (IOException e) {
                throw new Refused(Server.EXIT_USAGE, "--admin " + a.text() + ": "
                        + (e instanceof java.net.BindException ? "address already in use" : e.getMessage()));
            }
        }
        if (config.proxy() != null) {
            ListenSpec p = config.proxy();
            try {
                // dewy.proxy loads here, and only with --proxy
                proxy = dewy.proxy.TcpProxy.start(new InetSocketAddress(InetAddress.getByName(p.host() == null
                        ? "0.0.0.0" : p.host()), p.port()), dewy.proxy.TcpProxy.Options.http());
            } catch (IOException e) {
                throw new Refused(Server.EXIT_USAGE, "--proxy " + p.text() + ": "
                        + (e instanceof java.net.BindException ? "address already in use" : e.getMessage()));
            }
        }
        if (config.pidFile() != null) {
            try {
                StatusFiles.write(config.pidFile(), posix.pid() + "\n");
                pidFile = config.pidFile();
            } catch (IOException e) {
                throw new Refused(Server.EXIT_USAGE, "--pid-file " + config.pidFile() + ": " + e);
            }
        }
        statusFile = config.statusFile();
        if (config.readiness().kind() == Readiness.Kind.NOTIFY) {
            try {
                // sun_path holds 107 bytes: a long TMPDIR falls back to /tmp
                String tmp = env.getOrDefault("TMPDIR", "/tmp");
                if (tmp.length() > 60) {
                    tmp = "/tmp";
                }
                // 0711: an application that dropped its privileges can reach its socket, but nobody can list them
                notifyDir = Files.createTempDirectory(Path.of(tmp), "dewy-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Files.setPosixFilePermissions(notifyDir, PosixFilePermissions.fromString("rwx--x--x"));
            } catch (IOException | RuntimeException e) {
                throw new Refused(Server.EXIT_INIT_FAILED, "cannot create a directory for NOTIFY_SOCKET: " + e);
            }
        }
        // Pull deploys and notifiers: a bad URL or workdir is a usage error before the application starts.
        if (config.deploy() != null || !config.notifiers().isEmpty()) {
            try {
                notes = Notifications.create(config.notifiers(), env);
            } catch (IllegalArgumentException e) {
                throw new Refused(Server.EXIT_USAGE, e.getMessage());
            }
        }
        if (config.deploy() != null) {
            openDeploys(config.deploy(), env);
        }
        if (config.proxy() != null && eventFd < 0) {
            eventFd = posix.eventFd(); // the readiness checks post to the loop's Inbox
        }
    }

    private void openDeploys(DeployConfig d, Map<String, String> env) throws Refused {
        try {
            registry = Registry.parse(d.registry(), env, d.calver(), d.slot());
        } catch (IllegalArgumentException e) {
            throw new Refused(Server.EXIT_USAGE, "--registry " + Registry.redact(d.registry()) + ": " + e.getMessage());
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
            throw new Refused(Server.EXIT_USAGE, "--workdir " + d.workdir() + ": cannot use it: " + why);
        }
        eventFd = posix.eventFd();
    }

    /** At exit, in order: the scheduler, the notifications still queued, then descriptors and files. */
    @Override
    public void close() {
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
        if (healthChecks != null) {
            healthChecks.close();
        }
        if (proxy != null) {
            proxy.close();
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
