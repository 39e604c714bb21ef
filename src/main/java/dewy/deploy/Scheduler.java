package dewy.deploy;

import dewy.cli.DeployConfig;
import dewy.log.Log;
import dewy.notify.Event;
import dewy.notify.Notices;
import dewy.supervisor.Request;
import java.io.IOException;
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
 * verify it and unpack it into a staging directory. Then it posts one {@link Request.Rollout} to the supervisor's
 * loop, which owns the rest: the hooks, the move into place, the {@code current} swap, the restart, readiness, the
 * rollback and the outcome. This thread only waits for the answer, so checks never overlap, and it never changes
 * {@code current} itself. A check that throws (any Throwable) is logged, told, and retried with the backoff.
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
    private boolean reportFailed;

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
                try {
                    next = check();
                } catch (RuntimeException | Error e) {
                    // No input may end deploys for good: a failed check is logged, told, retried with the backoff.
                    next = checkFailed(e);
                }
                record();
            }
        } catch (InterruptedException e) {
            // stopped: the drain has begun
        } finally {
            cleanStaging();
            Log.debug("deploy scheduler stopped");
        }
    }

    private Duration checkFailed(Throwable e) {
        cleanStaging();
        Log.error("deploy check failed; the running version keeps serving", "error", e.toString());
        metrics.registryCheck("internal");
        return failedCheck("deploy check failed", e.toString(), true, null);
    }

    private volatile dewy.metrics.Metrics metrics = dewy.metrics.Metrics.NONE;

    /** Where checks and deploys are counted (/metrics); set before {@link #start}. */
    public void metrics(dewy.metrics.Metrics m) {
        metrics = m;
    }

    private String lastResult = "not checked yet";
    private boolean lastOk = true;

    /** Published at once: /status must not wait for what follows a deploy (the report's upload, the pruning). */
    private void result(boolean ok, String text) {
        lastOk = ok;
        lastResult = text;
        record();
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
        metrics.registryCheck("ok");
        if (release == null) {
            result(true, "no release in the registry yet");
            Log.debug("no release in the registry yet", "registry", registry.describe());
            return config.interval();
        }
        String current = releases.currentTag();
        // another slot's or scheme's tag (a --slot or --calver changed since): the newest release replaces it
        Version running = current == null ? null : registry.version(current);
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
        metrics.registryCheck(transientFailure ? "transient" : "permanent");
        return failedCheck("registry check failed", message, transientFailure, retryAfter);
    }

    /** A check that failed: back off (doubling, or as the registry asks), tell people once per streak. */
    private Duration failedCheck(String what, String message, boolean transientFailure, Duration retryAfter) {
        errorStreak++;
        result(false, what + ": " + message);
        long factor = 1L << Math.min(errorStreak, 16);
        Duration backoff = config.interval().multipliedBy(factor);
        if (backoff.compareTo(MAX_BACKOFF) > 0) {
            backoff = MAX_BACKOFF.compareTo(config.interval()) > 0 ? MAX_BACKOFF : config.interval();
        }
        if (retryAfter != null && retryAfter.compareTo(backoff) > 0) {
            backoff = retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
        }
        Log.warn(what + "; the running version keeps serving", "registry", registry.describe(),
                "error", message, "transient", transientFailure, "next_check", dewy.cli.Durations.format(backoff));
        if (errorStreak == 1) { // once per streak: a registry down for hours is one message, until it answers again
            notes.publish(Event.error(Event.ERROR, what + ": " + message, releases.currentTag()));
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
        notes.publish(Event.info(Event.DOWNLOADED, "Downloaded artifact for `" + tag + "` (" + artifact + ", "
                + size(file) + (release.checksums() == null ? ", no checksum" : ", sha256 verified") + ")", tag)
                .inDeploy(tag));

        Path staged;
        try {
            staged = releases.stage(tag);
            long maxUnpacked = config.maxArtifactSize() > Long.MAX_VALUE / UNPACK_FACTOR ? Long.MAX_VALUE
                    : config.maxArtifactSize() * UNPACK_FACTOR;
            try {
                Archives.extract(file, artifact, staged, new Archives.Limits(maxUnpacked,
                        Archives.Limits.DEFAULT.maxEntries()));
                releases.sync(staged); // the fsyncs here, off the loop: its commit then only renames
            } catch (IOException | RuntimeException e) {
                deleteQuietly(staged);
                throw e;
            }
        } catch (java.io.InterruptedIOException e) {
            throw new InterruptedException("deploy abandoned");
        } catch (IOException | RuntimeException e) {
            deployFailed(tag, "cannot unpack " + artifact + ": " + e.getMessage(), true);
            return;
        }
        if (stopped || Thread.currentThread().isInterrupted()) {
            deleteQuietly(staged);
            throw new InterruptedException("deploy abandoned");
        }

        // The rest is the loop's: the hooks, the move into place, the current swap, the restart, the rollback.
        CompletableFuture<Request.Outcome> outcome = new CompletableFuture<>();
        loop.accept(new Request.Rollout(tag, staged, config.beforeHook(), config.afterHook(),
                hookEnv(tag, current, file), HOOK_TIMEOUT, hooks(tag, current), outcome));
        Request.Outcome answer;
        try {
            answer = outcome.get();
        } catch (ExecutionException e) {
            answer = new Request.Outcome(Request.Result.FAILED, String.valueOf(e.getCause()), null, null);
        } finally {
            if (Files.exists(staged, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                deleteQuietly(staged); // never moved into place: a hook refused it, or dewy is stopping
            }
        }
        switch (answer.result()) {
            case DEPLOYED -> {
                Log.info("deployed", "version", tag, "previous", String.valueOf(current));
                result(true, "deployed " + tag);
                metrics.deploy("deployed");
                notes.success();
                if (config.mode().equals("assets")) { // no restart to tell of it
                    notes.publish(Event.info(Event.DEPLOYED, "Assets deployed for `" + tag + "` (previous "
                            + orNone(current) + ")", tag).inDeploy(tag));
                }
                prune(answer.release(), answer.previous(), tag);
                report(tag);
            }
            case ABANDONED -> {
                metrics.deploy("abandoned");
                Log.info("deploy abandoned: dewy is stopping", "version", tag, "current", orNone(current));
                throw new InterruptedException("deploy abandoned");
            }
            case FAILED -> {
                failed.add(tag);
                metrics.deploy(answer.why().startsWith("before-deploy-hook") || answer.why().startsWith("cannot run ")
                        ? "failed" : "rolled_back");
                if (answer.why().startsWith("before-deploy-hook") || answer.why().startsWith("after-deploy-hook")
                        || answer.why().startsWith("cannot run ")) {
                    result(false, answer.why() + " for " + tag); // the hook's own notification went out
                } else {
                    result(false, tag + " rolled back: " + answer.why());
                    Log.error("rolled back", "version", tag, "to", orNone(current), "reason", answer.why());
                    notes.publish(Event.error(Event.ROLLBACK, tag + " rolled back to " + orNone(current) + ": "
                            + answer.why(), current).inDeploy(tag));
                }
            }
        }
    }

    /** The hooks' variables; the loop adds DEWY_HOOK and, after the swap, DEWY_RELEASE_DIR. */
    private List<String> hookEnv(String tag, String current, Path artifact) {
        List<String> env = new ArrayList<>();
        env.add("DEWY_VERSION=" + tag);
        env.add("DEWY_PREVIOUS_VERSION=" + orNone(current));
        env.add("DEWY_WORKDIR=" + config.workdir().toAbsolutePath());
        env.add("DEWY_ARTIFACT=" + artifact.toAbsolutePath());
        return env;
    }

    /** Each hook's verdict is told as it comes, on the loop's thread (publish only enqueues). */
    private Request.HookListener hooks(String tag, String current) {
        return (hook, code) -> {
            if (code == 0) {
                notes.publish(Event.info(Event.HOOK, hook + " succeeded for " + tag, tag).inDeploy(tag));
            } else if (hook.equals("before-deploy-hook")) {
                notes.publish(Event.error(Event.HOOK, hook + " failed with " + code + "; " + tag
                        + " not deployed, " + orNone(current) + " keeps running", tag).inDeploy(tag));
            } else {
                notes.publish(Event.error(Event.HOOK, hook + " failed with " + code + "; current is back on "
                        + orNone(current) + ", " + tag + " not started", tag).inDeploy(tag));
            }
        };
    }

    /**
     * Go dewy's shipping report, after a deploy: logged and notified once per streak when it fails, never failing
     * the deploy ({@code --no-report}: none).
     */
    private void report(String tag) throws InterruptedException {
        if (!config.report()) {
            return;
        }
        ShippingReport report = ShippingReport.of(hostname(), config.mode(), java.time.Instant.now());
        try {
            registry.report(tag, report);
            Log.debug("shipping report left in the registry", "version", tag, "name", report.name());
            reportFailed = false;
        } catch (IOException | RuntimeException e) {
            Log.error("shipping report failed; the deploy stands", "version", tag, "error", e.getMessage());
            if (!reportFailed) {
                reportFailed = true;
                notes.publish(Event.error(Event.ERROR, "shipping report for " + tag + " failed: " + e.getMessage()
                        + " (the deploy stands)", tag).inDeploy(tag));
            }
        }
    }

    /** The kernel's host name, as Go's os.Hostname reads it. */
    private static String hostname() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (IOException | RuntimeException e) {
            // below
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return "localhost";
        }
    }

    private void deployFailed(String tag, String why, boolean permanent) {
        metrics.deploy("failed");
        if (permanent) {
            failed.add(tag);
        }
        result(false, "deploy of " + tag + " failed: " + why);
        Log.error("deploy failed; the running version keeps serving", "version", tag, "error", why,
                "retry", permanent ? "after a newer release" : "next check");
        notes.publish(Event.error(Event.ERROR, "deploy of " + tag + " failed: " + why, tag).inDeploy(tag));
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
