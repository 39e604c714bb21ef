package dewy.deploy;

import static dewy.deploy.ReleaseFixtures.ARTIFACT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.DeployConfig;
import dewy.notify.Event;
import dewy.notify.Notices;
import dewy.supervisor.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler's decisions, one check at a time, against a file:// registry and a stand-in for the supervisor's
 * loop that answers rollouts and hooks as each test says.
 */
class SchedulerTest {
    private static final Duration INTERVAL = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    /** Everything the scheduler told people, and each success() as "success". */
    private final List<String> notes = new ArrayList<>();
    private final List<String> reportNotes = new ArrayList<>();
    /** What happens in the registry while the loop has the rollout. */
    private Runnable onRollout = () -> { };
    /** What the scheduler asked of the loop. */
    private final List<String> requests = new ArrayList<>();
    private boolean nextReady = true;
    private int hookExit;

    private final Notices notices = new Notices() {
        @Override
        public void publish(Event e) {
            notes.add(e.kind() + (e.error() ? "!" : "") + ": " + e.message());
        }

        @Override
        public void success() {
            notes.add("success");
        }
    };

    private Path registry() {
        return tmp.resolve("registry");
    }

    private Path workdir() {
        return tmp.resolve("work");
    }

    private Scheduler scheduler(String before, String after) throws IOException {
        return scheduler(before, after, null);
    }

    private Scheduler scheduler(String before, String after, String slot) throws IOException {
        Files.createDirectories(registry());
        Registry r = Registry.parse("file://" + registry(), Map.of(), null, slot);
        Releases releases = new Releases(workdir(), Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC));
        DeployConfig config = new DeployConfig("file://" + registry(), INTERVAL, workdir(), 2, false, before, after,
                1L << 20, Duration.ofSeconds(5), null, null, true, "server");
        return new Scheduler(config, r, new Fetcher(r, d -> { }), releases, this::answer, notices, d -> { });
    }

    /**
     * The loop's part, as the supervisor's Deployment does it (DeploySupervisorTest covers the real one): the
     * before-hook, commit and swap, the after-hook, then the new generation is ready or not; every failure puts
     * current back first.
     */
    private void answer(Request request) {
        onRollout.run();
        Request.Rollout r = (Request.Rollout) request;
        requests.add("rollout " + r.version());
        Releases releases = new Releases(workdir(), Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC));
        try {
            if (r.beforeHook() != null && !hook(r, "before-deploy-hook")) {
                return;
            }
            Path dir = releases.commit(r.staged(), r.version());
            Path previous = releases.swap(dir);
            if (r.afterHook() != null && !hook(r, "after-deploy-hook")) {
                releases.restore(previous);
                return;
            }
            if (nextReady) {
                r.outcome().complete(new Request.Outcome(Request.Result.DEPLOYED, "ready", dir, previous));
            } else {
                releases.restore(previous);
                r.outcome().complete(new Request.Outcome(Request.Result.FAILED,
                        "exited before it was ready (exited with 3)", dir, previous));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private boolean hook(Request.Rollout r, String name) {
        requests.add(name + " " + r.hookEnv().stream().filter(v -> v.startsWith("DEWY_VERSION=")).findFirst()
                .orElseThrow());
        r.listener().hookExited(name, hookExit);
        if (hookExit != 0) {
            r.outcome().complete(new Request.Outcome(Request.Result.FAILED, name + " failed with " + hookExit, null,
                    null));
        }
        return hookExit == 0;
    }

    private void publish(String tag) throws IOException {
        Path dir = registry().resolve(tag);
        Files.createDirectories(dir);
        byte[] artifact = ReleaseFixtures.appTarGz(tag);
        Files.write(dir.resolve(ARTIFACT), artifact);
        Files.write(dir.resolve("checksums.txt"), ReleaseFixtures.checksums(Map.of(ARTIFACT, artifact)));
    }

    private String current() throws IOException {
        return new Releases(workdir(), Clock.systemUTC()).currentTag();
    }

    private List<String> releaseDirs() throws IOException {
        try (Stream<Path> s = Files.list(workdir().resolve("releases"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void deploysTheNewestAndThenNothingWhileUpToDate() throws Exception {
        Scheduler s = scheduler(null, null);
        assertEquals(INTERVAL, s.check(), "an empty registry is not an error");
        assertEquals(List.of(), requests);
        publish("v1.0.0");
        publish("v1.1.0");
        assertEquals(INTERVAL, s.check());
        assertEquals(List.of("rollout v1.1.0"), requests);
        assertEquals("v1.1.0", current());
        assertEquals(List.of("downloaded: Downloaded artifact for `v1.1.0` (" + ARTIFACT + ", " + size("v1.1.0")
                + " bytes, sha256 verified)", "success"), notes);
        s.check();
        s.check();
        assertEquals(List.of("rollout v1.1.0"), requests, "up to date: nothing more");
    }

    /** After a deploy, Go dewy's shipping report goes into the release's directory; one that fails never fails it. */
    @Test
    void aDeployLeavesAShippingReportAndAFailedReportIsNotifiedOnce() throws Exception {
        publish("v1.0.0");
        scheduler(null, null).check();
        assertEquals("v1.0.0", current());
        try (Stream<Path> files = Files.list(registry().resolve("v1.0.0"))) {
            List<String> reports = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("shipped_to_"))
                    .toList();
            assertEquals(1, reports.size(), reports.toString());
            assertTrue(reports.get(0).matches("shipped_to_[^_]+_server_at_\\d{8}T\\d{6}\\.\\d{9}Z\\.txt"), reports.get(0));
        }
        // the next two releases vanish from the registry while they deploy: their reports cannot be written
        Scheduler s = scheduler(null, null);
        for (String tag : List.of("v1.1.0", "v1.2.0")) {
            publish(tag);
            notes.clear();
            onRollout = () -> deleteTree(registry().resolve(tag));
            s.check();
            assertEquals(tag, current(), "the deploy stands");
            assertTrue(notes.contains("success"), notes.toString());
            reportNotes.addAll(notes.stream().filter(n -> n.contains("shipping report for")).toList());
        }
        assertEquals(1, reportNotes.size(), "notified once per streak: " + reportNotes);
        assertTrue(reportNotes.get(0).startsWith("error!: shipping report for v1.1.0 failed: "), reportNotes.get(0));
    }

    /** /status tells of a deploy as soon as it stands, not after the report's upload (DeployIT raced on that). */
    @Test
    void theSnapshotTellsOfTheDeployBeforeTheReportIsMade() throws Exception {
        Files.createDirectories(registry());
        publish("v1.0.0");
        Registry real = Registry.parse("file://" + registry(), Map.of());
        List<Scheduler.Snapshot> seen = new ArrayList<>();
        Scheduler[] self = new Scheduler[1];
        Registry watched = new DelegatingRegistry(real) {
            @Override
            public void report(String tag, ShippingReport report) {
                seen.add(self[0].snapshot());
            }
        };
        Releases releases = new Releases(workdir(), Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC));
        DeployConfig config = new DeployConfig("file://" + registry(), INTERVAL, workdir(), 2, false, null, null,
                1L << 20, Duration.ofSeconds(5), null, null, true, "server");
        self[0] = new Scheduler(config, watched, new Fetcher(watched, d -> { }), releases, this::answer, notices,
                d -> { });
        self[0].check();
        assertEquals(1, seen.size());
        assertEquals("v1.0.0", seen.get(0).release());
        assertEquals("deployed v1.0.0", seen.get(0).lastResult());
    }

    /** --no-report: nothing is written into the registry. */
    @Test
    void noReportLeavesTheRegistryAlone() throws Exception {
        publish("v1.0.0");
        Files.createDirectories(registry());
        Registry r = Registry.parse("file://" + registry(), Map.of(), null, null);
        Releases releases = new Releases(workdir(), Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC));
        DeployConfig config = new DeployConfig("file://" + registry(), INTERVAL, workdir(), 2, false, null, null,
                1L << 20, Duration.ofSeconds(5), null, null, false, "server");
        new Scheduler(config, r, new Fetcher(r, d -> { }), releases, this::answer, notices, d -> { }).check();
        assertEquals("v1.0.0", current());
        try (Stream<Path> files = Files.list(registry().resolve("v1.0.0"))) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("shipped_"))
                    .toList());
        }
    }

    /** A new --slot: what runs is another slot's, so the newest of this slot replaces it, even an older version. */
    @Test
    void aSlotDeploysOnlyItsTagsAndReplacesAnotherSlotsRelease() throws Exception {
        publish("v1.0.0+green");
        scheduler(null, null).check();
        assertEquals("v1.0.0+green", current());
        requests.clear();
        Scheduler blue = scheduler(null, null, "blue");
        blue.check();
        assertEquals(List.of(), requests, "no blue release yet: green's is not blue's to deploy");
        publish("v0.9.0+blue");
        publish("v1.1.0+green");
        blue.check();
        assertEquals("v0.9.0+blue", current());
        blue.check();
        assertEquals(List.of("rollout v0.9.0+blue"), requests, "then up to date, whatever green publishes");
        publish("v0.9.1+blue");
        blue.check();
        assertEquals("v0.9.1+blue", current());
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long size(String tag) {
        return ReleaseFixtures.appTarGz(tag).length;
    }

    @Test
    void aFailedRolloutIsRolledBackAndNotRetriedUntilANewerTagOrARestart() throws Exception {
        Scheduler s = scheduler(null, null);
        publish("v1.0.0");
        s.check();
        nextReady = false;
        publish("v1.1.0");
        s.check();
        assertEquals("v1.0.0", current(), "rolled back");
        assertTrue(notes.contains("rollback!: v1.1.0 rolled back to v1.0.0: exited before it was ready (exited with 3)"),
                notes.toString());
        s.check();
        s.check();
        assertEquals(List.of("rollout v1.0.0", "rollout v1.1.0"), requests, "v1.1.0 is not tried again");

        scheduler(null, null).check(); // dewy restarted: it gets another chance
        assertEquals(List.of("rollout v1.0.0", "rollout v1.1.0", "rollout v1.1.0"), requests);
        nextReady = true;
        publish("v1.2.0");
        s.check();
        assertEquals("v1.2.0", current());
    }

    @Test
    void registryErrorsBackOffDoublingAndAreNotifiedOncePerStreak() throws Exception {
        Scheduler s = scheduler(null, null);
        Files.delete(registry()); // a volume not mounted yet: transient
        assertEquals(INTERVAL.multipliedBy(2), s.check());
        assertEquals(INTERVAL.multipliedBy(4), s.check());
        assertEquals(INTERVAL.multipliedBy(8), s.check());
        assertEquals(INTERVAL.multipliedBy(16), s.check());
        assertEquals(Scheduler.MAX_BACKOFF, s.check(), "at most " + Scheduler.MAX_BACKOFF);
        assertEquals(Scheduler.MAX_BACKOFF, s.check());
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(notes.get(0).startsWith("error!: registry check failed: "), notes.toString());

        Files.createDirectories(registry());
        assertEquals(INTERVAL, s.check(), "back to the interval once it answers");
        assertEquals("success", notes.get(1));
        Files.delete(registry());
        s.check();
        assertEquals(3, notes.size(), "a new streak is told again: " + notes);
    }

    @Test
    void aFailingBeforeHookDeploysNothingAndLeavesNoStagingBehind() throws Exception {
        Scheduler s = scheduler("exit 1", null);
        publish("v1.0.0");
        s.check();
        hookExit = 1;
        publish("v1.1.0");
        s.check();
        assertEquals(List.of("rollout v1.0.0", "before-deploy-hook DEWY_VERSION=v1.0.0", "rollout v1.1.0",
                "before-deploy-hook DEWY_VERSION=v1.1.0"), requests);
        assertEquals("v1.0.0", current());
        assertEquals(1, releaseDirs().size(), "the refused release's staging directory is gone: " + releaseDirs());
        assertTrue(notes.contains("hook!: before-deploy-hook failed with 1; v1.1.0 not deployed, v1.0.0 keeps running"),
                notes.toString());
        s.check();
        assertEquals(4, requests.size(), "not retried");
    }

    @Test
    void aFailingAfterHookPutsCurrentBackWithoutARestart() throws Exception {
        Scheduler s = scheduler(null, "exit 1");
        publish("v1.0.0");
        s.check();
        hookExit = 1;
        publish("v1.1.0");
        s.check();
        assertEquals(List.of("rollout v1.0.0", "after-deploy-hook DEWY_VERSION=v1.0.0", "rollout v1.1.0",
                "after-deploy-hook DEWY_VERSION=v1.1.0"), requests);
        assertEquals("v1.0.0", current());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("hook!: after-deploy-hook failed with 1")), notes.toString());
    }

    @Test
    void theFirstReleaseFailingLeavesNoCurrent() throws Exception {
        Scheduler s = scheduler(null, null);
        nextReady = false;
        publish("v1.0.0");
        s.check();
        assertNull(current(), "no older release to go back to");
        assertTrue(notes.contains("rollback!: v1.0.0 rolled back to none: exited before it was ready (exited with 3)"),
                notes.toString());
    }

    @Test
    void keepsTheNewestReleasesAndOnlyTheNewestDownload() throws Exception {
        Scheduler s = scheduler(null, null);
        for (String v : List.of("v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0")) {
            publish(v);
            s.check();
        }
        List<String> dirs = releaseDirs();
        assertEquals(2, dirs.size(), dirs.toString());
        assertTrue(dirs.get(0).startsWith("v1.2.0_") && dirs.get(1).startsWith("v1.3.0_"), dirs.toString());
        try (Stream<Path> cache = Files.list(workdir().resolve("cache"))) {
            assertEquals(List.of("v1.3.0"), cache.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aCheckThatThrowsAnErrorIsToldAndTheSchedulerGoesOn() throws Exception {
        Files.createDirectories(registry());
        publish("v1.0.0");
        Registry real = Registry.parse("file://" + registry(), Map.of());
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        Registry flaky = new DelegatingRegistry(real) {
            @Override
            public Release latest() throws IOException, InterruptedException {
                if (calls.incrementAndGet() <= 2) {
                    throw new OutOfMemoryError("Java heap space"); // what a hostile input did to this thread once
                }
                return real.latest();
            }
        };
        Releases releases = new Releases(workdir(), Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC));
        DeployConfig config = new DeployConfig("file://" + registry(), INTERVAL, workdir(), 2, false, null, null,
                1L << 20, Duration.ofSeconds(5), null, null, true, "server");
        List<Duration> sleeps = java.util.Collections.synchronizedList(new ArrayList<>());
        Scheduler s = new Scheduler(config, flaky, new Fetcher(flaky, d -> { }), releases, this::answer, notices,
                d -> {
                    sleeps.add(d);
                    if (sleeps.size() > 3) {
                        Thread.sleep(60_000); // parked until stop() interrupts it
                    }
                });
        s.start();
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!"v1.0.0".equals(current()) && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        s.awaitStopped(Duration.ofSeconds(5));
        assertEquals("v1.0.0", current(), "deploys go on after the errors: " + notes);
        assertEquals(List.of(INTERVAL.multipliedBy(2), INTERVAL.multipliedBy(4)), sleeps.subList(0, 2),
                "backed off like any failed check");
        assertEquals(1, notes.stream().filter(n -> n.startsWith("error!: deploy check failed: java.lang.OutOfMemoryError"))
                .count(), notes.toString());
    }
}
