package dewy.container;

import dewy.deploy.ImageRegistry;
import dewy.log.Log;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * One image's rollout over the replicas of the last one, on the deploy thread: start one new replica, wait until it
 * is healthy, have it served; repeat until N new ones serve; then take the old ones out, give them the drain time,
 * stop and remove them. A new replica that does not start or is not healthy in time: the new ones are taken out and
 * removed, the old ones never stopped serving.
 *
 * <p>It talks to the engine and waits; what the proxy serves is the owner's ({@link Backends}).
 */
final class RollingUpdate {
    /** Whether a replica's port answers as healthy now (HTTP GET --health-path, or a TCP connect). */
    interface Probe {
        boolean healthy(int port);
    }

    /** Monotonic time and waiting; the tests' fake moves time on instead of sleeping. */
    interface Clock {
        long nanoTime();

        void sleep(Duration d) throws InterruptedException;

        Clock SYSTEM = new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleep(Duration d) throws InterruptedException {
                Thread.sleep(d.toMillis());
            }
        };
    }

    /**
     * How a rollout ended: {@code deployed}, or why not (one line) and whether the image is to blame (it did not
     * start, exited or was not healthy) or the engine is (it could not create a container), when the next check
     * tries the same tag again.
     */
    record Outcome(boolean deployed, String why, boolean imageAtFault) {
    }

    static final Duration PROBE_INTERVAL = Duration.ofMillis(250);
    static final Duration DRAIN_POLL = Duration.ofMillis(100);
    /** Go dewy's defaultStopTimeoutFailed: a replica that never served needs no long goodbye. */
    static final Duration FAILED_STOP_TIMEOUT = Duration.ofSeconds(5);

    private final ContainerConfig config;
    private final Engine engine;
    private final Backends backends;
    private final Probe probe;
    private final Clock clock;
    private final IntSupplier freePort;
    private List<Replica> current = List.of();

    RollingUpdate(ContainerConfig config, Engine engine, Backends backends, Probe probe, Clock clock,
                  IntSupplier freePort) {
        this.config = config;
        this.engine = engine;
        this.backends = backends;
        this.probe = probe;
        this.clock = clock;
        this.freePort = freePort;
    }

    /** The replicas of the deployed version (the deploy thread's view; the owner's list is what is served). */
    List<Replica> current() {
        return current;
    }

    /**
     * Rolls the replicas over to {@code image}.
     *
     * @throws IOException the pull failed: nothing changed, and the image is not to blame
     */
    Outcome deploy(ImageRegistry.Image image) throws IOException, InterruptedException {
        engine.pull(image.pinned());
        List<Replica> fresh = new ArrayList<>();
        List<Replica> served = new ArrayList<>();
        for (int i = 0; i < config.replicas(); i++) {
            Replica r;
            try {
                r = create(image, i);
            } catch (IOException e) {
                abandon(served, fresh);
                return new Outcome(false, e.getMessage(), false);
            }
            fresh.add(r);
            String why;
            try {
                engine.start(r.id());
                Log.info("replica started", "version", image.tag(), "replica", r.name(), "port", r.port());
                why = awaitHealthy(r);
                if (why == null) {
                    backends.serve(r);
                    served.add(r);
                    Log.info("replica serves", "version", image.tag(), "replica", r.name(), "port", r.port());
                    continue;
                }
            } catch (IOException e) {
                why = e.getMessage();
            }
            abandon(served, fresh);
            return new Outcome(false, why, true);
        }
        List<Replica> old = current;
        if (!old.isEmpty()) {
            backends.retire(old);
            drainThenRemove(old, config.stopTimeout());
        }
        current = List.copyOf(fresh);
        return new Outcome(true, null, false);
    }

    private Replica create(ImageRegistry.Image image, int index) throws IOException {
        int port = freePort.getAsInt();
        String name = config.name() + "-" + image.tag().replaceAll("[^a-zA-Z0-9_.-]", "_") + "-" + index + "-"
                + Long.toString(Instant.now().toEpochMilli(), 36);
        Map<String, String> labels = new LinkedHashMap<>(config.runOptions().labels());
        labels.putAll(labels(config.name()));
        labels.put("dewy.version", image.tag());
        labels.put("dewy.digest", image.digest());
        labels.put("dewy.port", Integer.toString(port));
        labels.put("dewy.replica", Integer.toString(index));
        labels.put("dewy.deployed_at", Instant.now().toString());
        List<String> env = new ArrayList<>(config.runOptions().env());
        env.add("PORT=" + port);
        env.add("DEWY_PORT=" + port);
        String id = engine.create(new Engine.Spec(name, image.pinned(), env, labels, config.command(),
                config.runOptions()));
        return new Replica(id, name, port, image.tag(), image.digest());
    }

    /** The labels that find this application's containers, and no one else's. */
    static Map<String, String> labels(String app) {
        return Map.of("dewy.managed", "true", "dewy.app", app);
    }

    /** Null once healthy; else why not. */
    private String awaitHealthy(Replica r) throws IOException, InterruptedException {
        long deadline = clock.nanoTime() + config.healthTimeout().toNanos();
        while (true) {
            if (probe.healthy(r.port())) {
                return null;
            }
            if (!engine.running(r.id())) {
                return "replica " + r.name() + " exited before it was healthy";
            }
            if (clock.nanoTime() - deadline >= 0) {
                return "replica " + r.name() + " not healthy within " + config.healthTimeout().toSeconds() + "s"
                        + (config.healthPath() == null ? " (its port " + r.port() + " accepts no connection)"
                        : " (GET " + config.healthPath() + " on port " + r.port() + " did not answer 2xx or 3xx)");
            }
            clock.sleep(PROBE_INTERVAL);
        }
    }

    /** A failed rollout: the new replicas that served leave the proxy and drain; every new one is removed. */
    private void abandon(List<Replica> served, List<Replica> fresh) throws InterruptedException {
        if (!served.isEmpty()) {
            backends.retire(served);
            drain(served);
        }
        for (Replica r : fresh) {
            stopAndRemove(r, FAILED_STOP_TIMEOUT);
        }
    }

    private void drainThenRemove(List<Replica> old, Duration stopTimeout) throws InterruptedException {
        Log.info("old replicas left the proxy; draining", "replicas", old.size(), "drain_time", config.drainTime());
        drain(old);
        for (Replica r : old) {
            stopAndRemove(r, stopTimeout);
        }
    }

    /**
     * Up to the drain time, until the proxy holds no connection to any of them. The first look comes one poll after
     * the retire: the proxy's thread may have picked one of them from the list before, and counts that connection
     * only once it has opened it.
     */
    void drain(List<Replica> leaving) throws InterruptedException {
        long deadline = clock.nanoTime() + config.drainTime().toNanos();
        clock.sleep(DRAIN_POLL);
        while (clock.nanoTime() - deadline < 0 && leaving.stream().anyMatch(r -> backends.connections(r) > 0)) {
            clock.sleep(DRAIN_POLL);
        }
    }

    /** Stop signal, the engine's kill after {@code timeout}, remove. An engine error is logged: the next sweep retries. */
    void stopAndRemove(Replica r, Duration timeout) {
        try {
            engine.stop(r.id(), timeout);
            engine.remove(r.id());
            Log.info("replica removed", "version", r.tag(), "replica", r.name());
        } catch (IOException e) {
            Log.warn("could not remove a replica", "replica", r.name(), "error", e.getMessage());
        }
    }
}
