package dewy.deploy;

import dewy.log.Log;
import dewy.posix.Sha256;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * Downloads a release's artifact into a cache and verifies it; a verified artifact is never downloaded again.
 *
 * <p>Cache layout: {@code CACHE/<tag>/<artifact>} plus {@code <artifact>.verified}, which records the file's sha256 and
 * the checksum asset it was verified against ({@code none} when the release published none). A download goes to
 * {@code <artifact>.part} and is renamed into place only once verified, so the cache never holds a partial or
 * unverified file under the artifact's name.
 */
public final class Fetcher {
    /** How the fetcher waits between attempts; tests pass one that records instead of sleeping. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /** Waits after the 1st, 2nd and 3rd failed attempt: 4 attempts in all. */
    static final List<Duration> BACKOFF = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));
    /** A server asking for a longer wait (a rate limit resetting in an hour) fails the fetch: the next poll retries. */
    static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);

    private final Registry registry;
    private final Sleeper sleeper;

    public Fetcher(Registry registry) {
        this(registry, d -> Thread.sleep(d.toMillis()));
    }

    public Fetcher(Registry registry, Sleeper sleeper) {
        this.registry = registry;
        this.sleeper = sleeper;
    }

    /**
     * The verified artifact of {@code r} at {@code cacheDir/<tag>/<artifact name>}, downloaded unless already there.
     *
     * @param maxBytes        the artifact's size limit
     * @param timeout         the limit of each download attempt
     * @param requireChecksum refuse a release that publishes no checksum for its artifact
     * @throws VerificationException on a checksum mismatch, a missing checksum entry or a missing required checksum
     * @throws RegistryException     when the download fails (after retries, if transient)
     * @throws InterruptedException  when interrupted; the partial download is deleted first
     */
    public Path fetch(Release r, Path cacheDir, long maxBytes, Duration timeout, boolean requireChecksum)
            throws IOException, InterruptedException {
        Asset artifact = r.artifact();
        String name = artifact.name();
        requireSafeName(r.tag(), "tag");
        requireSafeName(name, "asset name");
        if (r.checksums() == null && requireChecksum) {
            throw new VerificationException("release " + r.tag() + " has no checksum for " + name
                    + " (--require-checksum)");
        }
        if (artifact.size() > maxBytes) {
            throw Transfer.tooLarge("release " + r.tag() + ": " + name + " (" + artifact.size() + " bytes)", maxBytes);
        }
        Path dir = cacheDir.resolve(r.tag());
        Path target = dir.resolve(name);
        Path marker = dir.resolve(name + ".verified");
        String checksumSource = r.checksums() == null ? "none" : r.checksums().name();
        if (cached(target, marker, checksumSource)) {
            Log.debug("artifact already downloaded", "tag", r.tag(), "artifact", target);
            return target;
        }

        String expected = null;
        if (r.checksums() != null) {
            String text = withRetries(() -> registry.text(r.checksums(), timeout), r.checksums().name());
            expected = Checksums.expected(text, name);
            if (expected == null) {
                throw new VerificationException("release " + r.tag() + ": " + r.checksums().name()
                        + " lists no sha256 for " + name);
            }
        } else {
            Log.warn("release publishes no checksum; artifact is not verified", "tag", r.tag(), "artifact", name);
        }

        Files.createDirectories(dir);
        Path part = dir.resolve(name + ".part");
        boolean done = false;
        try {
            String actual = withRetries(() -> downloadHashing(artifact, part, maxBytes, timeout), name);
            if (expected != null && !expected.equals(actual)) {
                throw new VerificationException("checksum mismatch for " + name + ": expected " + expected + ", got "
                        + actual);
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            writeMarker(marker, actual, checksumSource);
            done = true;
            Log.info("artifact downloaded", "tag", r.tag(), "artifact", name, "bytes", Files.size(target),
                    "sha256", actual, "verified", expected != null, "hashed_by", Sha256.isNative() ? "libcrypto" : "jdk");
            return target;
        } finally {
            if (!done) { // never mask the failure with a cleanup error
                deleteQuietly(part);
                deleteQuietly(marker);
                deleteQuietly(dir); // only when empty: nothing else was ever cached for this tag
            }
        }
    }

    /**
     * True when {@code target} is in the cache, its sha256 is the marker's and the marker was verified against the
     * same checksum asset (a release that gained a checksum since is verified again). Hashes the file: a cache that
     * was damaged on disk is downloaded again rather than deployed.
     */
    private static boolean cached(Path target, Path marker, String checksumSource) throws IOException {
        if (!Files.isRegularFile(target) || !Files.isRegularFile(marker)) {
            return false;
        }
        String sha = null;
        String source = null;
        for (String line : Files.readAllLines(marker, StandardCharsets.UTF_8)) {
            if (line.startsWith("sha256=")) {
                sha = line.substring("sha256=".length()).strip();
            } else if (line.startsWith("checksum=")) {
                source = line.substring("checksum=".length()).strip();
            }
        }
        if (sha == null || !checksumSource.equals(source)) {
            return false;
        }
        if (!sha.equals(Checksums.sha256(target))) {
            Log.warn("cached artifact does not match its recorded sha256; downloading again", "artifact", target);
            return false;
        }
        return true;
    }

    private static void writeMarker(Path marker, String sha, String checksumSource) throws IOException {
        Path tmp = marker.resolveSibling(marker.getFileName() + ".tmp");
        Files.writeString(tmp, "sha256=" + sha + "\nchecksum=" + checksumSource + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private interface Attempt<T> {
        T run() throws IOException, InterruptedException;
    }

    /** Downloads {@code artifact} to {@code part} (created or truncated), hashing it as it streams in. */
    private String downloadHashing(Asset artifact, Path part, long maxBytes, Duration timeout)
            throws IOException, InterruptedException {
        try (Sha256.Hasher hasher = Sha256.newHasher(); Checksums.HashingStream out = new Checksums.HashingStream(
                new BufferedOutputStream(Files.newOutputStream(part), 64 * 1024), hasher)) {
            registry.copy(artifact, out, maxBytes, timeout);
            out.flush();
            return out.sha256();
        }
    }

    /** Runs {@code attempt}, again after each transient failure, waiting {@link #BACKOFF} (or what the server asks). */
    private <T> T withRetries(Attempt<T> attempt, String what) throws IOException, InterruptedException {
        for (int i = 0; ; i++) {
            try {
                return attempt.run();
            } catch (RegistryException e) {
                if (!e.isTransient() || i == BACKOFF.size()) {
                    throw e;
                }
                Duration wait = BACKOFF.get(i);
                if (e.retryAfter() != null) {
                    if (e.retryAfter().compareTo(MAX_RETRY_AFTER) > 0) {
                        throw e;
                    }
                    wait = e.retryAfter().compareTo(wait) > 0 ? e.retryAfter() : wait;
                }
                Log.warn("download failed, retrying", "asset", what, "attempt", i + 1, "in", wait.toMillis() + "ms", "error",
                        e.getMessage());
                sleeper.sleep(wait);
            } catch (IOException e) {
                if (Transfer.isInterrupt(e)) { // a registry may report an interrupt as an IOException
                    throw Transfer.interrupted("download of " + what, e);
                }
                throw e;
            }
        }
    }

    private static void requireSafeName(String s, String what) throws VerificationException {
        if (s.isEmpty() || s.startsWith(".") || s.contains("/") || s.contains("\\") || s.indexOf('\0') >= 0) {
            throw new VerificationException("unsafe " + what + " \"" + s + "\": not a file name");
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (DirectoryNotEmptyException e) {
            // a directory still holding an earlier download: keep it
        } catch (IOException e) {
            Log.warn("could not remove a failed download", "path", p, "error", e.getMessage());
        }
    }
}
