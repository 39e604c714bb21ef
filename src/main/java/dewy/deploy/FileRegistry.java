package dewy.deploy;

import dewy.log.Log;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Releases in a directory: {@code file:///DIR?artifact=NAME&pre-release=true}.
 *
 * <p>Each release is a subdirectory named by its tag, holding the release's assets:
 *
 * <pre>
 * DIR/
 *   v1.2.3/
 *     app_linux_amd64.tar.gz
 *     checksums.txt          (sha256sum output; or app_linux_amd64.tar.gz.sha256)
 *   v1.2.4/
 *     ...
 *   .v1.3.0/                 (hidden: being published)
 * </pre>
 *
 * <p>dewy deploys the highest SemVer tag (or CalVer, with {@code calver=}; of its slot, with {@code --slot}); other
 * names are ignored, and pre-release tags
 * ({@code v1.3.0-rc.1}) count only with {@code pre-release=true}. Entries whose name starts with a dot are never read:
 * to publish atomically, copy a release into {@code DIR/.v1.3.0/} and rename it to {@code DIR/v1.3.0/} when it is
 * complete. The artifact is chosen as for GitHub (the asset named for the platform, or {@code artifact=NAME}). A
 * missing {@code DIR} is a transient error: the volume may not be mounted yet.
 */
public final class FileRegistry implements Registry {

    private final String url;
    private final Path dir;
    private final RegistryOptions options;
    private final String os;
    private final String arch;

    private FileRegistry(String url, Path dir, RegistryOptions options, String os, String arch) {
        this.url = url;
        this.dir = dir;
        this.options = options;
        this.os = os;
        this.arch = arch;
    }

    static FileRegistry parse(String url, String os, String arch, String calver, String slot) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": want file:///DIR");
        }
        if (uri.getRawUserInfo() != null) { // not echoed: it may hold a password
            throw new IllegalArgumentException("bad registry url: file:// takes no credentials");
        }
        String host = uri.getRawAuthority();
        if (uri.isOpaque() || uri.getPath() == null || !uri.getPath().startsWith("/") || uri.getRawFragment() != null
                || (host != null && !host.isEmpty() && !host.equals("localhost"))) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": want file:///DIR (an absolute path)");
        }
        RegistryOptions options = RegistryOptions.parse(uri.getRawQuery(), url).with(calver, slot, url);
        return new FileRegistry(url, Path.of(uri.getPath()).normalize(), options, os, arch);
    }

    @Override
    public String describe() {
        return url;
    }

    @Override
    public String toString() {
        return "FileRegistry[" + url + "]";
    }

    @Override
    public Release latest() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new RegistryException("registry " + url + ": " + dir + " is not a directory (not mounted yet?)", true);
        }
        List<String> tags = new ArrayList<>();
        for (Path entry : list(dir)) {
            if (Files.isDirectory(entry)) {
                tags.add(entry.getFileName().toString());
            }
        }
        Version newest = options.newest(tags);
        Log.debug("registry listed releases", "registry", url, "latest", newest == null ? "none" : newest.tag());
        return newest == null ? null : release(dir.resolve(newest.tag()), newest);
    }

    /** Into the release's directory, when dewy may write there (a read-only mount is no failure: nothing to do). */
    @Override
    public void report(String tag, ShippingReport report) throws IOException {
        Path release = dir.resolve(tag).normalize();
        if (!release.getParent().equals(dir) || !Files.isDirectory(release)) {
            throw new RegistryException("registry " + url + ": no release " + tag + " to report on", false);
        }
        if (!Files.isWritable(release)) {
            Log.debug("release directory is not writable; no shipping report", "registry", url, "version", tag);
            return;
        }
        // hidden while written, then renamed: a reader never sees half a report
        Path hidden = release.resolve("." + report.name() + ".tmp");
        Files.write(hidden, report.bytes());
        Files.move(hidden, release.resolve(report.name()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public Version version(String tag) {
        return options.rule().read(tag);
    }

    private Release release(Path releaseDir, Version version) throws IOException {
        List<Asset> assets = new ArrayList<>();
        for (Path file : list(releaseDir)) {
            if (Files.isRegularFile(file)) {
                assets.add(new Asset(file.getFileName().toString(), file.toUri(), Files.size(file)));
            }
        }
        return Artifacts.release(url, version, assets, options.artifact(), os, arch);
    }

    /** The entries of {@code d} whose names do not start with a dot, sorted (stable logs and error messages). */
    private List<Path> list(Path d) throws RegistryException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(d)) {
            for (Path p : stream) {
                if (!p.getFileName().toString().startsWith(".")) {
                    entries.add(p);
                }
            }
        } catch (IOException e) {
            throw new RegistryException("registry " + url + ": listing " + d + ": " + Transfer.message(e), true, null,
                    e);
        }
        entries.sort(null);
        return entries;
    }

    @Override
    public void copy(Asset asset, OutputStream out, long maxBytes, Duration timeout)
            throws IOException, InterruptedException {
        String what = "registry " + url + ": " + asset.name();
        long deadline = System.nanoTime() + timeout.toNanos();
        Path source = source(asset, what);
        // A file's channel stream: an interrupt or the watchdog's close ends a read blocked on a network volume.
        try (InputStream in = Files.newInputStream(source)) {
            if (Files.size(source) > maxBytes) {
                throw Transfer.tooLarge(what, maxBytes);
            }
            Transfer.copy(in, out, maxBytes, deadline, timeout, what);
        } catch (NoSuchFileException e) { // the release was moved away since latest(): the next poll sees why
            throw new RegistryException(what + ": " + source + " no longer exists", true, null, e);
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            if (Transfer.isInterrupt(e)) {
                throw Transfer.interrupted(what, e);
            }
            throw new RegistryException(what + ": " + Transfer.message(e), true, null, e);
        }
    }

    private static Path source(Asset asset, String what) throws RegistryException {
        try {
            return Path.of(asset.location());
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw new RegistryException(what + ": not a file: URI", false);
        }
    }
}
