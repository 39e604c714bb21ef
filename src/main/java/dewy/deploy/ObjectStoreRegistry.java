package dewy.deploy;

import dewy.log.Log;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Releases in a bucket ({@code s3://}, {@code gs://}), in Go dewy's layout:
 *
 * <pre>
 * PREFIX/
 *   v1.2.3/
 *     app_linux_amd64.tar.gz
 *     checksums.txt          (or app_linux_amd64.tar.gz.sha256)
 *   v1.2.4/
 *     ...
 * </pre>
 *
 * <p>As in a {@code file://} registry: the newest tag by the registry's rule (SemVer, CalVer, the slot), pre-releases
 * only with {@code pre-release=true}, folders whose name starts with a dot never read, the artifact chosen by platform
 * or {@code artifact=}. Two listings per check: the version folders under the prefix, then the chosen folder's
 * objects, so a bucket with many releases costs one page per 1,000 of them.
 */
final class ObjectStoreRegistry implements Registry {
    private final String url;
    private final ObjectStore store;
    private final String prefix;
    private final RegistryOptions options;
    private final String os;
    private final String arch;

    /** {@code prefix}: {@code ""} or ending in {@code /}. */
    ObjectStoreRegistry(String url, ObjectStore store, String prefix, RegistryOptions options, String os, String arch) {
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("prefix must end in /: " + prefix);
        }
        this.url = url;
        this.store = store;
        this.prefix = prefix;
        this.options = options;
        this.os = os;
        this.arch = arch;
    }

    /** The prefix of a URL's path as Go dewy reads it: no leading slash, a trailing one unless empty. */
    static String prefix(String path) {
        String p = path == null ? "" : path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    @Override
    public String describe() {
        return url;
    }

    @Override
    public String toString() {
        return "ObjectStoreRegistry[" + url + "]";
    }

    @Override
    public Release latest() throws IOException, InterruptedException {
        List<String> tags = new ArrayList<>();
        for (String folder : store.folders(prefix)) {
            String tag = folder.substring(prefix.length(), folder.length() - 1);
            if (!tag.isEmpty() && !tag.startsWith(".") && !tag.contains("/")) {
                tags.add(tag);
            }
        }
        Version newest = options.newest(tags);
        Log.debug("registry listed releases", "registry", url, "releases", tags.size(), "latest",
                newest == null ? "none" : newest.tag());
        if (newest == null) {
            return null;
        }
        String folder = prefix + newest.tag() + "/";
        List<Asset> assets = new ArrayList<>();
        for (ObjectStore.StoredObject o : store.objects(folder)) {
            String name = o.key().substring(folder.length());
            if (!name.isEmpty() && !name.contains("/")) {
                assets.add(new Asset(name, location(o.key()), o.size()));
            }
        }
        return Artifacts.release(url, newest, assets, options.artifact(), os, arch);
    }

    @Override
    public Version version(String tag) {
        return options.rule().read(tag);
    }

    @Override
    public void copy(Asset asset, OutputStream out, long maxBytes, Duration timeout)
            throws IOException, InterruptedException {
        URI u = asset.location();
        if (!store.scheme().equals(u.getScheme()) || !store.bucket().equals(u.getAuthority())
                || u.getPath() == null || u.getPath().length() < 2) {
            throw new RegistryException("registry " + url + ": " + asset.name() + " is not in this bucket", false);
        }
        store.copy(u.getPath().substring(1), out, maxBytes, timeout);
    }

    /** Go dewy's: an empty object {@code PREFIX/TAG/shipped_to_...txt}. */
    @Override
    public void report(String tag, ShippingReport report) throws IOException, InterruptedException {
        if (version(tag) == null) {
            throw new RegistryException("registry " + url + ": no release " + tag + " to report on", false);
        }
        store.put(prefix + tag + "/" + report.name(), new byte[0]);
    }

    private URI location(String key) throws RegistryException {
        try {
            return new URI(store.scheme(), store.bucket(), "/" + key, null);
        } catch (URISyntaxException e) {
            throw new RegistryException("registry " + url + ": object key " + key + " is not usable", false);
        }
    }
}
