package dewy.deploy;

import dewy.cli.DeployConfig;
import dewy.log.Log;
import dewy.notify.Event;
import dewy.notify.Notices;
import dewy.supervisor.Request;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * The pull-deploy loop, on its own thread: check the registry, and when a newer release is there, fetch and
 * verify it, run the before-hook, unpack, swap {@code current}, run the after-hook and ask the supervisor's loop
 * for a zero-downtime restart onto it. Everything that touches a child process (hooks, the restart, the rollback)
 * is a {@link Request} the loop carries out; this thread only waits for the answer, so checks never overlap.
 *
 * <p>A release that failed (hook, verification, unpacking, readiness) is not tried again until a newer tag
 * appears or dewy restarts. Registry errors back off (doubling, at most {@link #MAX_BACKOFF}, or longer when the
 * registry says so) and are notified once per streak.
 */
public final class Scheduler {
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);
    /** A deploy hook that runs longer is killed and counts as failed. */
    static final Duration HOOK_TIMEOUT = Duration.ofMinutes(5);
    /** What an archive may unpack to, as a multiple of the download limit. */
    static final int UNPACK_FACTOR = 4;

    /**
     * What operators see in /status: never a token (the registry as {@link Registry#describe()}).
     *
     * @param release    the tag current points to, or null
     * @param lastCheck  epoch millis of the last finished check, or -1
     * @param lastResult one line: "up to date", "deployed v1.2.4", or the error
     * @param failed     tags that failed and are not tried again until a newer one appears
     */
    public record Snapshot(String registry, String release, long lastCheck, boolean lastOk, String lastResult,
                           List<String> failed) {
    }

    /** Sleeps between checks; tests replace it. Must throw InterruptedException when interrupted. */
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final DeployConfig config;
    private final Registry registry;
    private final Fetcher fetcher;
    private final Releases releases;
    private final Consumer<Request> loop;
    private final Notices notes;
    private final Sleeper sleeper;
    private final Set<String> failed = new HashSet<>();

    private volatile boolean stopped;
    private volatile Snapshot snapshot;
    private volatile Thread thread;
    private int errorStreak;

    /**
     * @param loop posts a request to the supervisor's loop (the {@link dewy.supervisor.Inbox}); the loop answers
     *             through the request's future
     */
    public Scheduler(DeployConfig config, Registry registry, Fetcher fetcher, Releases releases,
                     Consumer<Request> loop, Notices notes, Sleeper sleeper) {
        this.config = config;
        this.registry = registry;
        this.fetcher = fetcher;
        this.releases = releases;
        this.loop = loop;
        this.notes = notes;
        this.sleeper = sleeper;
        this.snapshot = new Snapshot(registry.describe(), releases.currentTag(), -1, true, "not checked yet", List.of());
    }

    /** The last check's outcome, for /status; any thread. */
    public Snapshot snapshot() {
        return snapshot;
    }

    public void start() {
        Thread t = new Thread(this::run, "dewy-deploy");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /**
     * Drain step 1. Returns at once (it runs on the loop's thread): the interrupt abandons a download, unpacking
     * or wait in flight; {@link #awaitStopped} then waits for the thread to clean up.
     */
    public void stop() {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    /**
     * After the loop has ended: waits a little for the thread, which removes what an abandoned deploy left on its
     * way out (the fetcher its partial download, {@link #run} the staging directory). A thread still stuck after
     * {@code bound} dies with the JVM; the next start's clean-up removes its staging directory.
     */
    public void awaitStopped(Duration bound) {
        stop();
        Thread t = thread;
        if (t != null) {
            try {
                t.join(bound.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        Duration next = Duration.ZERO; // the first check runs at start-up
        try {
            while (!stopped) {
                if (!next.isZero()) {
                    sleeper.sleep(next);
                }
                if (stopped) {
                    break;
                }
                next = check();
                record();
            }
        } catch (InterruptedException e) {
            // stopped: the drain has begun
        } catch (RuntimeException e) {
            Log.error("deploy scheduler failed; no more deploys until dewy restarts", "error", e.toString());
            notes.publish(Event.error(Event.ERROR, "deploy scheduler failed: " + e, null));
        } finally {
            cleanStaging();
            Log.debug("deploy scheduler stopped");
        }
    }

    private String lastResult = "not checked yet";
    private boolean lastOk = true;

    private void result(boolean ok, String text) {
        lastOk = ok;
        lastResult = text;
    }

    private void record() {
        List<String> tags = new ArrayList<>(failed);
        java.util.Collections.sort(tags);
        snapshot = new Snapshot(registry.describe(), releases.currentTag(), System.currentTimeMillis(), lastOk, lastResult,
                List.copyOf(tags));
    }

    /** One check, and a deploy if it finds something new. Returns how long to wait before the next. */
    Duration check() throws InterruptedException {
        Release release;
        try {
            release = registry.latest();
        } catch (RegistryException e) {
            return registryFailed(e.getMessage(), e.isTransient(), e.retryAfter());
        } catch (IOException e) {
            return registryFailed(e.getMessage(), true, null);
        }
        registryOk();
        if (release == null) {
            result(true, "no release in the registry yet");
            Log.debug("no release in the registry yet", "registry", registry.describe());
            return config.interval();
        }
        String current = releases.currentTag();
        SemVer running = current == null ? null : SemVer.parse(current);
        if (running != null && release.version().compareTo(running) <= 0) {
            result(true, "up to date");
            Log.debug("up to date", "version", current, "newest", release.tag());
            return config.interval();
        }
        if (failed.contains(release.tag())) {
            result(true, release.tag() + " failed before; waiting for a newer release");
            Log.debug("newest release failed before; waiting for a newer one", "version", release.tag());
            return config.interval();
        }
        deploy(release, current);
        return config.interval();
    }

    private Duration registryFailed(String message, boolean transientFailure, Duration retryAfter) {
        errorStreak++;
        result(false, "registry check failed: " + message);
        long factor = 1L << Math.min(errorStreak, 16);
        Duration backoff = config.interval().multipliedBy(factor);
        if (backoff.compareTo(MAX_BACKOFF) > 0) {
            backoff = MAX_BACKOFF.compareTo(config.interval()) > 0 ? MAX_BACKOFF : config.interval();
        }
        if (retryAfter != null && retryAfter.compareTo(backoff) > 0) {
            backoff = retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
        }
        Log.warn("registry check failed; the running version keeps serving", "registry", registry.describe(),
                "error", message, "transient", transientFailure, "next_check", dewy.cli.Durations.format(backoff));
        if (errorStreak == 1) { // once per streak: a registry down for hours is one message, until it answers again
            notes.publish(Event.error(Event.ERROR, "registry check failed: " + message, releases.currentTag()));
        }
        return backoff;
    }

    private void registryOk() {
        if (errorStreak > 0) {
            Log.info("registry reachable again", "registry", registry.describe(), "failed_checks", errorStreak);
            notes.success();
        }
        errorStreak = 0;
    }

    private void deploy(Release release, String current) throws InterruptedException {
        String tag = release.tag();
        String artifact = release.artifact().name();
        Log.info("new release", "version", tag, "artifact", artifact, "current", String.valueOf(current));
        Path file;
        try {
            file = fetcher.fetch(release, cacheDir(), config.maxArtifactSize(), config.downloadTimeout(),
                    config.requireChecksum());
        } catch (IOException e) {
            checkStopped(); // abandoned by the drain: not a failure to tell anyone about
            boolean permanent = !(e instanceof java.io.InterruptedIOException)
                    && !(e instanceof RegistryException re && re.isTransient());
            deployFailed(tag, (e instanceof RegistryException ? "download failed: " : "") + e.getMessage(), permanent);
            return;
        }
        checkStopped();
        notes.publish(Event.info(Event.DOWNLOADED, "downloaded " + tag + " (" + artifact + ", "
                + size(file) + (release.checksums() == null ? ", no checksum" : ", sha256 verified") + ")", tag));

        if (config.beforeHook() != null) {
            int code = hook("before-deploy-hook", config.beforeHook(), tag, current, null, file);
            if (code != 0) {
                result(false, "before-deploy-hook failed with " + code + " for " + tag);
                notes.publish(Event.error(Event.HOOK, "before-deploy-hook failed with " + code + "; " + tag
                        + " not deployed, " + orNone(current) + " keeps running", tag));
                failed.add(tag);
                return;
            }
            notes.publish(Event.info(Event.HOOK, "before-deploy-hook succeeded for " + tag, tag));
        }

        Path dir;
        Path previous;
        try {
            Path staged = releases.stage(tag);
            long maxUnpacked = config.maxArtifactSize() > Long.MAX_VALUE / UNPACK_FACTOR ? Long.MAX_VALUE
                    : config.maxArtifactSize() * UNPACK_FACTOR;
            try {
                Archives.extract(file, artifact, staged, new Archives.Limits(maxUnpacked,
                        Archives.Limits.DEFAULT.maxEntries()));
            } catch (IOException | RuntimeException e) {
                deleteQuietly(staged);
                throw e;
            }
            checkStopped();
            dir = releases.commit(staged, tag);
            previous = releases.swap(dir);
        } catch (java.io.InterruptedIOException e) {
            throw new InterruptedException("deploy abandoned");
        } catch (IOException | RuntimeException e) {
            deployFailed(tag, "cannot unpack " + artifact + ": " + e.getMessage(), true);
            return;
        }
        Log.info("current swapped", "version", tag, "release", dir, "previous", String.valueOf(previous));

        if (config.afterHook() != null) {
            int code = hook("after-deploy-hook", config.afterHook(), tag, current, dir, file);
            if (code != 0) {
                try {
                    restore(previous);
                } catch (UncheckedIOException e) {
                    Log.error("cannot put current back", "release", String.valueOf(previous), "error",
                            e.getCause().getMessage());
                }
                result(false, "after-deploy-hook failed with " + code + " for " + tag);
                notes.publish(Event.error(Event.HOOK, "after-deploy-hook failed with " + code + "; current is back on "
                        + orNone(current) + ", " + tag + " not started", tag));
                failed.add(tag);
                return;
            }
            notes.publish(Event.info(Event.HOOK, "after-deploy-hook succeeded for " + tag, tag));
        }

        CompletableFuture<Request.Outcome> outcome = new CompletableFuture<>();
        Path back = previous;
        loop.accept(new Request.Rollout(tag, () -> restore(back), outcome));
        Request.Outcome answer = await(outcome);
        if (answer.ready()) {
            Log.info("deployed", "version", tag, "previous", String.valueOf(current));
            result(true, "deployed " + tag);
            notes.success();
            prune(dir, previous, tag);
            return;
        }
        failed.add(tag);
        result(false, tag + " rolled back: " + answer.why());
        Log.error("rolled back", "version", tag, "to", orNone(current), "reason", answer.why());
        notes.publish(Event.error(Event.ROLLBACK, tag + " rolled back to " + orNone(current) + ": " + answer.why(),
                current));
    }

    private void deployFailed(String tag, String why, boolean permanent) {
        if (permanent) {
            failed.add(tag);
        }
        result(false, "deploy of " + tag + " failed: " + why);
        Log.error("deploy failed; the running version keeps serving", "version", tag, "error", why,
                "retry", permanent ? "after a newer release" : "next check");
        notes.publish(Event.error(Event.ERROR, "deploy of " + tag + " failed: " + why, tag));
    }

    private int hook(String name, String command, String tag, String current, Path dir, Path artifact)
            throws InterruptedException {
        List<String> env = new ArrayList<>();
        env.add("DEWY_HOOK=" + name);
        env.add("DEWY_VERSION=" + tag);
        env.add("DEWY_PREVIOUS_VERSION=" + orNone(current));
        env.add("DEWY_WORKDIR=" + config.workdir().toAbsolutePath());
        env.add("DEWY_ARTIFACT=" + artifact.toAbsolutePath());
        if (dir != null) {
            env.add("DEWY_RELEASE_DIR=" + dir.toAbsolutePath());
        }
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        loop.accept(new Request.Task(name, command, env, HOOK_TIMEOUT, exit));
        try {
            return await(exit);
        } catch (IllegalStateException e) {
            Log.error("cannot run " + name, "error", e.getMessage());
            return 127;
        }
    }

    private <T> T await(CompletableFuture<T> future) throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IllegalStateException(cause instanceof dewy.posix.SpawnException se ? se.describe()
                    : String.valueOf(cause.getMessage()), cause);
        }
    }

    private void restore(Path previous) {
        try {
            releases.restore(previous);
            Log.info("current restored", "release", String.valueOf(previous));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void prune(Path dir, Path previous, String tag) {
        try {
            List<Path> protect = new ArrayList<>();
            protect.add(dir);
            if (previous != null) {
                protect.add(previous);
            }
            for (Path gone : releases.prune(config.keepReleases(), protect)) {
                Log.info("old release removed", "release", gone.getFileName());
            }
            try (var cached = Files.list(cacheDir())) { // the cache only spares a second download of the newest
                for (Path p : (Iterable<Path>) cached::iterator) {
                    if (!p.getFileName().toString().equals(tag)) {
                        deleteQuietly(p);
                    }
                }
            }
        } catch (IOException e) {
            Log.warn("cannot remove old releases", "error", e.getMessage());
        }
    }

    private void checkStopped() throws InterruptedException {
        if (stopped || Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("deploy abandoned");
        }
    }

    private void cleanStaging() {
        try {
            releases.cleanStaging(); // a partial download is the fetcher's to delete, and it does
        } catch (IOException e) {
            Log.debug("cannot clean the staging area", "error", e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Releases.deleteTree(p);
        } catch (IOException e) {
            Log.warn("cannot remove", "path", p, "error", e.getMessage());
        }
    }

    private Path cacheDir() {
        return config.workdir().resolve("cache");
    }

    private static String orNone(String tag) {
        return tag == null ? "none" : tag;
    }

    private static String size(Path file) {
        try {
            long n = Files.size(file);
            return n >= 1 << 20 ? (n >> 20) + " MiB" : n >= 1 << 10 ? (n >> 10) + " KiB" : n + " bytes";
        } catch (IOException e) {
            return "size unknown";
        }
    }
}
