package dewy.container;

import dewy.boot.SignalMask;
import dewy.cli.UsageException;
import dewy.deploy.ImageRegistry;
import dewy.log.Log;
import dewy.notify.Notifications;
import dewy.posix.Posix;
import dewy.posix.ProcFs;
import dewy.posix.SignalInfo;
import dewy.posix.Signals;
import dewy.proxy.HealthChecks;
import dewy.proxy.TcpProxy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code dewy container}, wiring and its loop. The loop (the main thread) owns the lifecycle: the {@link Fleet}
 * of serving replicas and what the proxy publishes, and the drain. It waits in one ppoll on the signalfd and on an
 * eventfd the deploy thread wakes when it posts a {@link Fleet.Request}. The deploy thread polls the registry and
 * runs each {@link RollingUpdate}: it talks to the engine and waits on health checks, never on the loop's state.
 */
public final class ContainerMode {
    static final int EXIT_USAGE = 2;
    static final int EXIT_INIT_FAILED = 125;

    private final ContainerConfig config;
    private final Posix posix;
    private final Engine engine;
    private final TcpProxy proxy;
    private final Fleet fleet;
    private final ConcurrentLinkedQueue<Fleet.Request> inbox = new ConcurrentLinkedQueue<>();
    private final int signalFd;
    private final int eventFd;

    private ContainerMode(ContainerConfig config, Posix posix, Engine engine, TcpProxy proxy) {
        this.config = config;
        this.posix = posix;
        this.engine = engine;
        this.proxy = proxy;
        this.fleet = new Fleet(proxy::publish);
        this.signalFd = posix.signalFd(Signals.HANDLED);
        this.eventFd = posix.eventFd();
    }

    /** {@code dewy container ARGS}; the exit status. */
    public static int run(List<String> args, Path installDir) {
        if (ContainerCommandLine.wantsHelp(args)) {
            System.out.print(ContainerCommandLine.help());
            return 0;
        }
        Map<String, String> env = System.getenv();
        ContainerConfig config;
        ImageRegistry registry;
        DockerEngine engine;
        Notifications notes;
        try {
            config = ContainerCommandLine.parse(args);
            registry = ImageRegistry.parse(config.registry(), env, config.calver(), null);
            engine = DockerEngine.fromEnv(env, registry.repository().split("/", 2)[0]);
            notes = Notifications.create(config.notifiers(), env);
        } catch (UsageException | IllegalArgumentException e) {
            System.err.println("dewy: " + e.getMessage() + " (see 'dewy container --help')");
            return EXIT_USAGE;
        }
        Posix posix = SignalMask.bindBlocked(installDir, ProcFs.system(), env);
        if (posix == null) {
            return EXIT_INIT_FAILED;
        }
        Log.configure(config.logLevel(), config.logFormat());
        TcpProxy proxy;
        try {
            // the replicas serve HTTP (their health check says so): a stopped replica's kept-alive connections are
            // handed over to the new ones as HTTP/1.x allows
            TcpProxy.Options http = TcpProxy.Options.http();
            proxy = TcpProxy.start(config.proxy(), new TcpProxy.Options(config.proxyIdleTimeout(),
                    http.connectTimeout(), http.waitForBackend(), http.handover()));
        } catch (IOException e) {
            System.err.println("dewy: cannot listen on " + config.proxy() + ": " + e.getMessage());
            return EXIT_INIT_FAILED;
        }
        try (notes) {
            return new ContainerMode(config, posix, engine, proxy).serve(registry, notes);
        }
    }

    private int serve(ImageRegistry registry, Notifications notes) {
        Log.info("dewy container", "registry", registry.describe(), "app", config.name(), "replicas",
                config.replicas(), "proxy", config.proxy().getAddress().getHostAddress() + ":"
                        + proxy.address().getPort(), "engine", "docker");
        if (!removeAll("left over from an earlier dewy")) {
            proxy.close();
            return 1;
        }
        HealthChecks http = new HealthChecks(RollingUpdate.PROBE_INTERVAL, Duration.ofSeconds(2), g -> { });
        RollingUpdate.Probe probe = config.healthPath() == null ? ContainerMode::accepts
                : port -> http.answers(port, config.healthPath());
        RollingUpdate update = new RollingUpdate(config, engine, backends(), probe, RollingUpdate.Clock.SYSTEM,
                ContainerMode::freeLoopbackPort);
        Deployer deployer = new Deployer(registry::latest, update, notes);
        ScheduledExecutorService deploys = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dewy-container-deploy");
            t.setDaemon(true);
            return t;
        });
        deploys.scheduleWithFixedDelay(() -> {
            try {
                deployer.check();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // dewy is stopping
            } catch (RuntimeException | Error e) {
                Log.error("internal error in a deploy; dewy keeps running", "error", e.toString());
            }
        }, 0, config.interval().toMillis(), TimeUnit.MILLISECONDS);

        SignalInfo stop = loopUntilDrainSignal();
        Log.info("stopping", "signal", stop.name());
        deploys.shutdownNow(); // no new check; a rollout under way is interrupted, its replicas go in the sweep
        long bound = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!deploys.isTerminated() && System.nanoTime() - bound < 0) {
            waitAndHandle(Duration.ofMillis(100).toNanos()); // it may still wait on the loop
        }
        try {
            update.drain(fleet.retireAll());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        proxy.close();
        http.close();
        boolean clean = removeAll("stopping");
        posix.close(signalFd);
        posix.close(eventFd);
        Log.info("exiting", "status", clean ? 0 : 1);
        return clean ? 0 : 1;
    }

    /** The loop: requests from the deploy thread, signals; returns the drain signal that ended it. */
    private SignalInfo loopUntilDrainSignal() {
        while (true) {
            SignalInfo s = waitAndHandle(-1);
            if (s != null) {
                return s;
            }
        }
    }

    /** One wait: handles posted requests; returns a drain signal when one came, else null. */
    private SignalInfo waitAndHandle(long timeoutNanos) {
        long ready = posix.poll(new int[] {signalFd, eventFd}, 2, timeoutNanos);
        SignalInfo drain = null;
        if ((ready & 1) != 0) {
            for (SignalInfo s; (s = posix.readSignal(signalFd)) != null; ) {
                if (Signals.DRAIN.contains(s.signo())) {
                    drain = s;
                } else {
                    Log.debug("signal ignored in container mode", "signal", s.name());
                }
            }
        }
        if ((ready & 2) != 0) {
            posix.clearEventFd(eventFd); // before draining: a post after this wakes the next poll
        }
        for (Fleet.Request r; (r = inbox.poll()) != null; ) {
            try {
                fleet.handle(r);
            } catch (RuntimeException | Error e) {
                Log.error("internal error; dewy keeps running", "event", "request", "error", e.toString());
                r.done().completeExceptionally(e);
            }
        }
        return drain;
    }

    /** The deploy thread's side: post, wake the loop, wait until the proxy has the new list. */
    private Backends backends() {
        return new Backends() {
            @Override
            public void serve(Replica replica) throws InterruptedException {
                await(new Fleet.Serve(replica, new CompletableFuture<>()));
            }

            @Override
            public void retire(List<Replica> replicas) throws InterruptedException {
                await(new Fleet.Retire(List.copyOf(replicas), new CompletableFuture<>()));
            }

            @Override
            public int connections(Replica replica) {
                return proxy.connectionsTo(replica.address());
            }

            private void await(Fleet.Request request) throws InterruptedException {
                inbox.add(request);
                posix.wake(eventFd);
                try {
                    request.done().get();
                } catch (ExecutionException e) {
                    throw new IllegalStateException("the loop failed a request", e.getCause());
                }
            }
        };
    }

    /** Stops and removes every container of this application (by its labels: never anyone else's). */
    private boolean removeAll(String why) {
        try {
            for (Engine.Listed c : engine.list(RollingUpdate.labels(config.name()))) {
                engine.stop(c.id(), config.stopTimeout());
                engine.remove(c.id());
                Log.info("container removed", "name", c.name(), "version", c.labels().get("dewy.version"), "why", why);
            }
            return true;
        } catch (IOException e) {
            Log.error("cannot remove this application's containers", "error", e.getMessage());
            return false;
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A loopback port nothing listens on now; the replica binds it a moment later. */
    static int freeLoopbackPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port: " + e.getMessage(), e);
        }
    }
}
