package dewy.deploy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Where releases come from: {@code ghr://OWNER/REPO} (GitHub Releases, {@link GitHubRegistry}),
 * {@code file:///DIR} (a directory, {@link FileRegistry}), {@code s3://REGION/BUCKET/PREFIX} or
 * {@code gs://BUCKET/PREFIX} (a bucket, {@link ObjectStoreRegistry} over {@link S3Store} or {@link GcsStore}).
 * All take {@code ?artifact=NAME} (the asset to deploy,
 * when the platform's name is not enough), {@code ?pre-release=true} (consider pre-releases too) and
 * {@code ?calver=FORMAT} (tags are calendar versions).
 */
public interface Registry {
    /** The newest eligible release with its artifact chosen, or null when there is none yet. */
    Release latest() throws IOException, InterruptedException;

    /**
     * {@code tag} read by this registry's rule (SemVer or its CalVer format, and its slot), pre-releases included; null
     * when it is none of this dewy's releases (another slot, another scheme).
     */
    Version version(String tag);

    /** What {@link #text} reads at most. */
    long MAX_TEXT_BYTES = 1L << 20;

    /**
     * Streams the asset's bytes to {@code out}: at most maxBytes, within timeout overall (a stalled body must not hang
     * forever). Honours Thread interrupts (throws InterruptedException or InterruptedIOException promptly).
     */
    void copy(Asset asset, OutputStream out, long maxBytes, Duration timeout) throws IOException, InterruptedException;

    /**
     * Leaves {@code report} beside the release {@code tag} (Go dewy's shipping report): an asset of the GitHub release,
     * a file in a {@code file://} release's directory when it is writable.
     *
     * @throws IOException when the registry refused it; the caller logs it, the deploy stands
     */
    void report(String tag, ShippingReport report) throws IOException, InterruptedException;

    /** A small text asset (checksum files), at most {@link #MAX_TEXT_BYTES}. */
    default String text(Asset asset, Duration timeout) throws IOException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        copy(asset, out, MAX_TEXT_BYTES, timeout);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What a {@code --slot} must be, said when it is not. */
    String SLOT_RULE = "a slot is a tag's build metadata (v1.2.3+blue): letters, digits, hyphens and dots";

    /** True when {@code slot} can be a tag's build metadata (SemVer's {@code +blue.2}). */
    static boolean validSlot(String slot) {
        return slot.matches("[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*");
    }

    /**
     * {@code url} for an error message: its user-info part ({@code ghr://TOKEN@o/r}, {@code s3://KEY:SECRET@...}),
     * which may hold a secret, replaced by {@code ***}.
     */
    static String redact(String url) {
        int scheme = url.indexOf("://");
        if (scheme < 0) {
            return url;
        }
        int start = scheme + 3;
        int end = start;
        while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) {
            end++;
        }
        int at = url.lastIndexOf('@', end - 1);
        return at >= start ? url.substring(0, start) + "***@" + url.substring(at + 1) : url;
    }

    /** For logs: the URL as given, never a token. */
    String describe();

    /** What a registry URL can be, said when it is none of them. */
    String URL_FORMS = "ghr://OWNER/REPO, file:///DIR, s3://REGION/BUCKET/PREFIX or gs://BUCKET/PREFIX";

    /**
     * The registry for {@code url}; {@code env} supplies {@code GITHUB_API_URL}, {@code GITHUB_TOKEN},
     * {@code GH_TOKEN} and {@code AWS_ENDPOINT_URL}.
     *
     * @throws IllegalArgumentException with a one-line message when the URL is not one dewy reads
     */
    static Registry parse(String url, Map<String, String> env) {
        return parse(url, env, null, null);
    }

    /**
     * {@link #parse(String, Map)} with dewy's {@code --calver FORMAT} (tags read as CalVer, as the URL's
     * {@code calver=} does) and {@code --slot NAME} (only tags whose build metadata is NAME); each null when not given.
     */
    static Registry parse(String url, Map<String, String> env, String calver, String slot) {
        return parse(url, env, Artifacts.currentOs(), Artifacts.currentArch(), calver, slot);
    }

    /**
     * {@link #parse(String, Map, String, String)} for another platform (tests, and a clear answer on what a URL would
     * pick).
     */
    static Registry parse(String url, Map<String, String> env, String os, String arch, String calver, String slot) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("registry url is empty: want " + URL_FORMS);
        }
        if (url.startsWith("ghr://")) {
            return GitHubRegistry.parse(url, env, os, arch, calver, slot);
        }
        if (url.startsWith("file:")) {
            return FileRegistry.parse(url, os, arch, calver, slot);
        }
        if (url.startsWith("s3://")) { // the only place S3Store (and so the AWS SDK) is named
            return S3Store.parse(url, env, os, arch, calver, slot);
        }
        if (url.startsWith("gs://")) { // the only mention of GcsStore: Google's client loads with gs:// alone
            return GcsStore.registry(url, env, os, arch, calver, slot);
        }
        int colon = url.indexOf(':');
        String scheme = colon > 0 && !url.contains("@") ? "\"" + url.substring(0, colon) + "\"" : "in registry url";
        throw new IllegalArgumentException("unsupported scheme " + scheme + ": want " + URL_FORMS);
    }
}
