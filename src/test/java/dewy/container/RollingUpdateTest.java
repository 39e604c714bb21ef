package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.UsageException;
import dewy.deploy.ImageRegistry;
import dewy.notify.Event;
import dewy.notify.Notices;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The rolling update and the registry check on a fake engine, a fake clock, and the real {@link Fleet}. */
class RollingUpdateTest {
    private static final ImageRegistry.Image V1 = image("v1.0.0", 1);
    private static final ImageRegistry.Image V2 = image("v2.0.0", 2);
    private static final ImageRegistry.Image V3 = image("v3.0.0", 3);
    private static final ImageRegistry.Image V4 = image("v4.0.0", 4);

    private static ImageRegistry.Image image(String tag, int n) {
        return new ImageRegistry.Image(tag, "sha256:" + Integer.toString(n).repeat(64), "127.0.0.1:5000/team/app");
    }

    /** Fake time: sleeping moves it on. */
    static final class FakeClock implements RollingUpdate.Clock {
        long now = 1_000_000_000L;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleep(Duration d) {
            now += d.toNanos();
        }

        Duration since(long t) {
            return Duration.ofNanos(now - t);
        }
    }

    /** A container as the fake engine holds it. */
    static final class Box {
        final String id;
        final Engine.Spec spec;
        boolean started;
        boolean running;
        boolean removed;

        Box(String id, Engine.Spec spec) {
            this.id = id;
            this.spec = spec;
        }

        String version() {
            return spec.labels().get("dewy.version");
        }

        int port() {
            return Integer.parseInt(spec.labels().get("dewy.port"));
        }
    }

    /** An engine that records every call, in order, with the fake time. */
    class FakeEngine implements Engine {
        final Map<String, Box> boxes = new LinkedHashMap<>();
        final List<String> calls = new ArrayList<>();
        final Set<String> exitAtOnce = new HashSet<>();
        /** "pull 1" or "create 2": that call (counted from 1) of that kind throws, as an engine error would. */
        String failing;
        final Map<String, Integer> counts = new LinkedHashMap<>();
        int ids;

        void maybeFail(String kind) throws IOException {
            int n = counts.merge(kind, 1, Integer::sum);
            if ((kind + " " + n).equals(failing)) {
                throw new IOException("engine: " + kind + " failed (500)");
            }
        }

        @Override
        public void pull(String reference) throws IOException {
            maybeFail("pull");
            calls.add("pull " + reference);
        }

        @Override
        public String create(Spec spec) throws IOException {
            maybeFail("create");
            String id = "id" + (++ids);
            boxes.put(id, new Box(id, spec));
            calls.add("create " + spec.labels().get("dewy.version") + "#" + spec.labels().get("dewy.replica"));
            return id;
        }

        @Override
        public void start(String id) {
            Box b = boxes.get(id);
            b.started = true;
            b.running = !exitAtOnce.contains(b.version());
            calls.add("start " + label(b));
        }

        @Override
        public boolean running(String id) {
            Box b = boxes.get(id);
            return b != null && !b.removed && b.running;
        }

        @Override
        public void stop(String id, Duration timeout) {
            Box b = boxes.get(id);
            b.running = false;
            calls.add("stop " + label(b) + " t=" + timeout.toSeconds() + " at=" + clock.since(t0).toSeconds());
        }

        @Override
        public void remove(String id) {
            Box b = boxes.get(id);
            b.removed = true;
            calls.add("remove " + label(b));
        }

        @Override
        public List<Listed> list(Map<String, String> labels) {
            return boxes.values().stream().filter(b -> !b.removed)
                    .filter(b -> b.spec.labels().entrySet().containsAll(labels.entrySet()))
                    .map(b -> new Listed(b.id, b.spec.name(), b.spec.labels())).toList();
        }

        List<String> alive() {
            return boxes.values().stream().filter(b -> !b.removed).map(RollingUpdateTest::label).toList();
        }
    }

    static String label(Box b) {
        return b.version() + "#" + b.spec.labels().get("dewy.replica");
    }

    private final FakeClock clock = new FakeClock();
    private final long t0 = clock.now;
    private final FakeEngine engine = new FakeEngine();
    /** Versions whose replicas answer their health check once started. */
    private final Set<String> healthy = new HashSet<>(Set.of("v1.0.0", "v2.0.0", "v4.0.0"));
    /** What the proxy was told, in order, as lists of versions (by port). */
    private final List<List<String>> published = new ArrayList<>();
    private final Fleet fleet = new Fleet(this::published);
    /** Open connections per port; drained once the clock passes the value. */
    private final Map<Integer, Long> connectionsUntil = new LinkedHashMap<>();
    private final AtomicInteger ports = new AtomicInteger(20000);
    private final List<Event> events = new ArrayList<>();

    private void published(List<InetSocketAddress> backends) {
        published.add(backends.stream().map(a -> byPort(a.getPort())).toList());
    }

    private String byPort(int port) {
        return engine.boxes.values().stream().filter(b -> b.port() == port).map(RollingUpdateTest::label)
                .findFirst().orElse("?" + port);
    }

    /** The real Fleet, called directly: the loop's thread is the test's. */
    private final Backends backends = new Backends() {
        @Override
        public void serve(Replica replica) {
            fleet.handle(new Fleet.Serve(replica, new CompletableFuture<>()));
        }

        @Override
        public void retire(List<Replica> replicas) {
            fleet.handle(new Fleet.Retire(replicas, new CompletableFuture<>()));
        }

        @Override
        public int connections(Replica replica) {
            Long until = connectionsUntil.get(replica.port());
            return until != null && clock.now < until ? 1 : 0;
        }
    };

    private RollingUpdate update(String... flags) throws UsageException {
        List<String> args = new ArrayList<>(List.of("--registry", "img://127.0.0.1:5000/team/app", "-p", "8080",
                "--health-path", "/health"));
        args.addAll(List.of(flags));
        ContainerConfig config = ContainerCommandLine.parse(args);
        RollingUpdate.Probe probe = port -> engine.boxes.values().stream().anyMatch(b -> b.port() == port
                && b.running && !b.removed && healthy.contains(b.version()));
        return new RollingUpdate(config, engine, backends, probe, clock, ports::incrementAndGet);
    }

    private final Notices notices = new Notices() {
        @Override
        public void publish(Event e) {
            events.add(e);
        }

        @Override
        public void success() {
        }
    };

    @Test
    void firstDeployStartsNReplicasOneAtATimeEachServedOnceHealthy() throws Exception {
        RollingUpdate u = update("--replicas", "2");
        assertTrue(u.deploy(V1).deployed());
        assertEquals(List.of("pull 127.0.0.1:5000/team/app@" + V1.digest(), "create v1.0.0#0", "start v1.0.0#0",
                "create v1.0.0#1", "start v1.0.0#1"), engine.calls);
        assertEquals(List.of(List.of("v1.0.0#0"), List.of("v1.0.0#0", "v1.0.0#1")), published);
        Box first = engine.boxes.get("id1");
        assertEquals("true", first.spec.labels().get("dewy.managed"));
        assertEquals("app", first.spec.labels().get("dewy.app"));
        assertEquals(V1.digest(), first.spec.labels().get("dewy.digest"));
        assertEquals(V1.pinned(), first.spec.image(), "pulled and run by digest, immune to the tag moving");
        assertTrue(first.spec.env().contains("PORT=" + first.port()), first.spec.env().toString());
        assertTrue(first.spec.env().contains("DEWY_PORT=" + first.port()));
        assertFalse(engine.boxes.get("id2").port() == first.port(), "each replica has its own port");
    }

    @Test
    void anUpdateAddsEveryNewReplicaBeforeTheOldOnesLeaveThenDrainsStopsAndRemovesThem() throws Exception {
        RollingUpdate u = update("--replicas", "2", "--drain-time", "30s", "--stop-timeout", "7s");
        u.deploy(V1);
        published.clear();
        engine.calls.clear();
        long start = clock.now;
        // the old replicas' last connections end 3 s after they leave the proxy
        for (Box b : engine.boxes.values()) {
            connectionsUntil.put(b.port(), start + Duration.ofSeconds(3).toNanos());
        }
        assertTrue(u.deploy(V2).deployed());
        assertEquals(List.of(List.of("v1.0.0#0", "v1.0.0#1", "v2.0.0#0"),
                List.of("v1.0.0#0", "v1.0.0#1", "v2.0.0#0", "v2.0.0#1"),
                List.of("v2.0.0#0", "v2.0.0#1")), published, "old ones serve until every new one does");
        assertEquals(List.of("pull 127.0.0.1:5000/team/app@" + V2.digest(), "create v2.0.0#0", "start v2.0.0#0",
                "create v2.0.0#1", "start v2.0.0#1", "stop v1.0.0#0 t=7 at=3", "remove v1.0.0#0",
                "stop v1.0.0#1 t=7 at=3", "remove v1.0.0#1"), engine.calls,
                "stopped once their connections ended, within the drain time");
        assertEquals(List.of("v2.0.0#0", "v2.0.0#1"), engine.alive());
        assertEquals(List.of("v2.0.0", "v2.0.0"), u.current().stream().map(Replica::tag).toList());
    }

    @Test
    void theDrainTimeBoundsConnectionsThatDoNotEnd() throws Exception {
        RollingUpdate u = update("--drain-time", "30s");
        u.deploy(V1);
        connectionsUntil.put(engine.boxes.get("id1").port(), Long.MAX_VALUE);
        engine.calls.clear();
        long start = clock.now;
        u.deploy(V2);
        assertTrue(engine.calls.contains("stop v1.0.0#0 t=10 at=" + (Duration.ofNanos(start - t0).toSeconds() + 30)),
                engine.calls.toString());
    }

    @Test
    void aReplicaThatIsNotHealthyInTimeIsRemovedAndTheOldOnesNeverStopServing() throws Exception {
        RollingUpdate u = update("--replicas", "2", "--health-timeout", "20s");
        u.deploy(V2);
        published.clear();
        engine.calls.clear();
        long start = clock.now;
        RollingUpdate.Outcome outcome = u.deploy(V3);
        assertFalse(outcome.deployed());
        assertTrue(outcome.why().contains("not healthy within 20s (GET /health on port"), outcome.why());
        Duration waited = clock.since(start);
        assertTrue(waited.compareTo(Duration.ofSeconds(20)) >= 0 && waited.compareTo(Duration.ofSeconds(21)) < 0,
                "retried until the health timeout: " + waited);
        assertEquals(List.of(), published, "v3 never served, v2's list never changed");
        assertTrue(engine.calls.containsAll(List.of("stop v3.0.0#0 t=5 at=" + clock.since(t0).toSeconds(),
                "remove v3.0.0#0")), engine.calls.toString());
        assertFalse(engine.calls.contains("create v3.0.0#1"), "no second replica after the first failed");
        assertEquals(List.of("v2.0.0#0", "v2.0.0#1"), engine.alive());
        assertEquals(List.of(List.of("v2.0.0#0", "v2.0.0#1")), List.of(fleet.serving().stream()
                .map(r -> r.tag() + "#" + r.name().split("-")[r.name().split("-").length - 2]).toList()));
        assertEquals("v2.0.0", u.current().get(0).tag());
    }

    @Test
    void aFailureOnTheSecondReplicaTakesTheFirstNewOneOutAgain() throws Exception {
        RollingUpdate u = new RollingUpdate(ContainerCommandLine.parse(List.of("--registry",
                "img://127.0.0.1:5000/team/app", "-p", "8080", "--replicas", "2")), engine, backends,
                port -> engine.boxes.values().stream().anyMatch(b -> b.port() == port && b.running
                        && (b.version().equals("v1.0.0") || b.spec.labels().get("dewy.replica").equals("0"))),
                clock, ports::incrementAndGet);
        u.deploy(V1);
        published.clear();
        long start = clock.now;
        RollingUpdate.Outcome outcome = u.deploy(V2); // v2's replica 0 is healthy, its replica 1 never is
        assertFalse(outcome.deployed());
        assertEquals(List.of(List.of("v1.0.0#0", "v1.0.0#1", "v2.0.0#0"), List.of("v1.0.0#0", "v1.0.0#1")),
                published, "the served new replica leaves the proxy again");
        assertEquals(List.of("v1.0.0#0", "v1.0.0#1"), engine.alive(), "both new ones removed");
        assertTrue(clock.since(start).compareTo(Duration.ofSeconds(30)) >= 0);
    }

    @Test
    void aReplicaThatExitsFailsAtOnceNotAtTheTimeout() throws Exception {
        RollingUpdate u = update();
        u.deploy(V1);
        engine.exitAtOnce.add("v3.0.0");
        long start = clock.now;
        RollingUpdate.Outcome outcome = u.deploy(V3);
        assertFalse(outcome.deployed());
        assertTrue(outcome.why().contains("exited before it was healthy"), outcome.why());
        assertTrue(clock.since(start).compareTo(Duration.ofSeconds(1)) < 0, clock.since(start).toString());
        assertEquals(List.of("v1.0.0#0"), engine.alive());
    }

    @Test
    void theRegistryCheckRollsBackAFailedTagOnceNeverRetriesItAndTriesANewerOne() throws Exception {
        RollingUpdate u = update("--replicas", "2");
        ImageRegistry.Image[] latest = {V1};
        Deployer d = new Deployer(() -> latest[0], u, notices);
        d.check();
        d.check();
        assertEquals(1, engine.calls.stream().filter(c -> c.startsWith("pull")).count(), "the same digest: no deploy");
        latest[0] = V2;
        d.check();
        assertEquals("v2.0.0", d.running().tag());
        latest[0] = V3;
        d.check();
        int calls = engine.calls.size();
        d.check();
        d.check();
        assertEquals(calls, engine.calls.size(), "a failed tag is not tried again");
        assertEquals("v2.0.0", d.running().tag());
        assertEquals(List.of("v2.0.0#0", "v2.0.0#1"), engine.alive());
        List<Event> rollbacks = events.stream().filter(e -> e.kind().equals(Event.ROLLBACK)).toList();
        assertEquals(1, rollbacks.size(), events.toString());
        assertTrue(rollbacks.get(0).error());
        assertTrue(rollbacks.get(0).message().startsWith("rollback: v3.0.0 failed (replica app-v3.0.0-0-"),
                rollbacks.get(0).message());
        assertTrue(rollbacks.get(0).message().endsWith("; v2.0.0 keeps serving; v3.0.0 is not tried again"));
        latest[0] = V4;
        d.check();
        assertEquals("v4.0.0", d.running().tag(), "a newer tag is tried");
        assertEquals(List.of("v4.0.0#0", "v4.0.0#1"), engine.alive());
        assertEquals(List.of("deployed v1.0.0", "deployed v2.0.0", "deployed v4.0.0"), events.stream()
                .filter(e -> e.kind().equals(Event.DEPLOYED)).map(Event::message).collect(Collectors.toList()));
    }

    @Test
    void aRegistryOrPullErrorChangesNothingAndTheSameTagIsTriedAgain() throws Exception {
        Deployer down = new Deployer(() -> {
            throw new IOException("registry down");
        }, update(), notices);
        down.check(); // logged, nothing else
        assertEquals(List.of(), engine.calls);
        FakeEngine flaky = new FakeEngine();
        flaky.failing = "pull 1";
        Deployer d = new Deployer(() -> V1, new RollingUpdate(ContainerCommandLine.parse(List.of("--registry",
                "img://127.0.0.1:5000/team/app", "-p", "8080")), flaky, backends, port -> true, clock,
                ports::incrementAndGet), notices);
        d.check();
        assertEquals(null, d.running(), "a failed pull is not the tag's fault");
        assertEquals(List.of(), flaky.calls);
        d.check();
        assertEquals("v1.0.0", d.running().tag(), "the next check tries the same tag again");
    }

    @Test
    void aContainerTheEngineCannotCreateIsNotTheTagsFaultTheNextCheckTriesAgain() throws Exception {
        FakeEngine refusing = new FakeEngine();
        refusing.failing = "create 2";
        Deployer d = new Deployer(() -> V1, new RollingUpdate(ContainerCommandLine.parse(List.of("--registry",
                "img://127.0.0.1:5000/team/app", "-p", "8080", "--replicas", "2")), refusing, backends,
                port -> true, clock, ports::incrementAndGet), notices);
        d.check();
        assertEquals(null, d.running());
        assertTrue(refusing.boxes.values().stream().allMatch(b -> b.removed), "the first replica removed again");
        assertTrue(events.stream().noneMatch(e -> e.kind().equals(Event.ROLLBACK)), events.toString());
        d.check();
        assertEquals("v1.0.0", d.running().tag(), "the same tag, tried again");
        assertEquals(2, refusing.boxes.values().stream().filter(b -> !b.removed).count());
    }
}
