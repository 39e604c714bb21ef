package dewy.deploy;

import com.google.api.gax.paging.Page;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Google Cloud Storage bucket through Google's Java client, over its JSON API: {@code gs://BUCKET/PREFIX}. The only
 * class that touches {@code com.google.cloud}, named by {@link Registry#parse} alone, so the client is loaded only
 * when a {@code gs://} registry is given.
 *
 * <p>With {@code STORAGE_EMULATOR_HOST} ({@code 127.0.0.1:9199} or {@code http://...}, as Google's clients read it)
 * requests go there with no credentials; otherwise Application Default Credentials: the key file named by
 * {@code GOOGLE_APPLICATION_CREDENTIALS}, gcloud's {@code application-default login}, or the metadata server on
 * Google Cloud. Credentials are looked up at the first check, not at start-up, so a registry without them fails its
 * checks (logged, the application keeps running) instead of stopping dewy.
 */
final class GcsStore implements ObjectStore {
    static final String EMULATOR_HOST = "STORAGE_EMULATOR_HOST";
    static final String CREDENTIALS_FILE = "GOOGLE_APPLICATION_CREDENTIALS";
    /** Objects a listing page holds: Cloud Storage's own maximum. */
    static final int PAGE_SIZE = 1000;

    private static final String FORMAT = "gs://BUCKET/PREFIX";
    private static final String READ_WRITE = "https://www.googleapis.com/auth/devstorage.read_write";

    private final String bucket;
    private final String where;
    private final Map<String, String> env;
    private final int pageSize;
    private Storage storage; // made at the first request: see the class comment

    /** {@code where}: the start of error messages ({@code registry gs://bucket/prefix}). */
    GcsStore(String bucket, String where, Map<String, String> env, int pageSize) {
        this.bucket = bucket;
        this.where = where;
        this.env = env;
        this.pageSize = pageSize;
    }

    /**
     * The registry for a {@code gs://BUCKET/PREFIX?artifact=&pre-release=&calver=} URL.
     *
     * @throws IllegalArgumentException with a one-line message when the URL is not one
     */
    static Registry registry(String url, Map<String, String> env, String os, String arch, String calver,
            String slot) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": want " + FORMAT);
        }
        if (uri.getRawUserInfo() != null) { // not echoed: it may hold a password
            throw new IllegalArgumentException("bad registry url: gs:// takes no credentials (" + CREDENTIALS_FILE
                    + " or Application Default Credentials)");
        }
        String bucket = uri.getRawAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": bucket is required: want " + FORMAT);
        }
        if (!validBucket(bucket) || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": \"" + bucket
                    + "\" is not a bucket name (3-63 lowercase letters, digits, -, _ and .): want " + FORMAT);
        }
        RegistryOptions options = RegistryOptions.parse(uri.getRawQuery(), url, Set.of()).with(calver, slot, url);
        String prefix = ObjectStoreRegistry.prefix(uri.getPath());
        GcsStore store = new GcsStore(bucket, "registry " + url, env, PAGE_SIZE);
        return new ObjectStoreRegistry(url, store, prefix, options, os, arch);
    }

    /** Cloud Storage's rule for bucket names (dotted names may be longer, up to 222, in parts of at most 63). */
    static boolean validBucket(String name) {
        if (!name.matches("[a-z0-9][a-z0-9._-]*[a-z0-9]") || name.length() < 3 || name.length() > 222
                || name.contains("..") || name.startsWith("goog")) {
            return false;
        }
        if (!name.contains(".")) {
            return name.length() <= 63;
        }
        for (String part : name.split("\\.")) {
            if (part.length() > 63) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String scheme() {
        return "gs";
    }

    @Override
    public String bucket() {
        return bucket;
    }

    @Override
    public List<String> folders(String prefix) throws IOException {
        List<String> folders = new ArrayList<>();
        for (Blob b : list(prefix)) {
            if (b.isDirectory()) {
                folders.add(b.getName());
            }
        }
        return folders;
    }

    @Override
    public List<StoredObject> objects(String folder) throws IOException {
        List<StoredObject> objects = new ArrayList<>();
        for (Blob b : list(folder)) {
            if (!b.isDirectory()) {
                objects.add(new StoredObject(b.getName(), b.getSize() == null ? -1 : b.getSize()));
            }
        }
        return objects;
    }

    /** Every page of the listing of {@code prefix}, with {@code /} as the delimiter (folders come as directories). */
    private List<Blob> list(String prefix) throws IOException {
        Storage s = storage();
        List<Blob> all = new ArrayList<>();
        try {
            Page<Blob> page = s.list(bucket, Storage.BlobListOption.prefix(prefix),
                    Storage.BlobListOption.currentDirectory(), Storage.BlobListOption.pageSize(pageSize));
            while (page != null) {
                page.getValues().forEach(all::add);
                page = page.hasNextPage() ? page.getNextPage() : null;
            }
        } catch (StorageException e) {
            throw failed("listing gs://" + bucket + "/" + prefix, e);
        }
        return all;
    }

    @Override
    public void copy(String key, OutputStream out, long maxBytes, Duration timeout)
            throws IOException, InterruptedException {
        String what = where + ": gs://" + bucket + "/" + key;
        long deadline = System.nanoTime() + timeout.toNanos();
        ReadChannel channel;
        try {
            channel = storage().reader(BlobId.of(bucket, key));
        } catch (StorageException e) {
            throw failed("reading gs://" + bucket + "/" + key, e);
        }
        Transfer.copy(new Checked(channel), out, maxBytes, deadline, timeout, what);
    }

    @Override
    public void put(String key, byte[] body) throws IOException {
        BlobInfo info = BlobInfo.newBuilder(BlobId.of(bucket, key)).setContentType("text/plain").build();
        // A resumable upload (two requests) rather than one multipart: the emulator the tests use cannot read the
        // client's multipart bodies, and Cloud Storage takes both.
        String doing = "writing gs://" + bucket + "/" + key;
        try (WriteChannel w = storage().writer(info)) {
            w.write(ByteBuffer.wrap(body));
        } catch (StorageException e) {
            throw failed(doing, e);
        } catch (IOException e) { // the upload's refusal comes at close, wrapped
            if (e.getCause() instanceof StorageException se) {
                throw failed(doing, se);
            }
            throw new RegistryException(where + ": " + doing + ": " + Transfer.message(e), true, null, e);
        }
    }

    /** One line for a refusal of Cloud Storage: the bucket, the credentials, or a failure worth retrying. */
    private RegistryException failed(String doing, StorageException e) {
        int code = e.getCode();
        String message = Transfer.message(e);
        if (message.length() > 200) {
            message = message.substring(0, 200) + "...";
        }
        // A listing's or an upload's 404: only the bucket can be missing.
        if (code == 404 && !doing.startsWith("reading")) {
            return new RegistryException(where + ": bucket " + bucket + " does not exist (404)", false, null, e);
        }
        if (code == 401 || code == 403 || authFailure(e)) {
            return new RegistryException(where + ": " + doing + ": credentials refused"
                    + (code > 0 ? " (" + code + ")" : "") + ": " + message, false, null, e);
        }
        boolean transientFailure = code == 0 || code == 408 || code == 429 || code >= 500 || e.isRetryable();
        return new RegistryException(where + ": " + doing + ": " + message + (code > 0 ? " (" + code + ")" : ""),
                transientFailure, null, e);
    }

    /** True when the request failed because a token could not be had (a revoked or malformed key). */
    private static boolean authFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getClass().getName().startsWith("com.google.auth.")) {
                return true;
            }
        }
        return false;
    }

    private synchronized Storage storage() throws RegistryException {
        if (storage == null) {
            storage = open();
        }
        return storage;
    }

    private Storage open() throws RegistryException {
        StorageOptions.Builder options = StorageOptions.http()
                .setTransportOptions(HttpTransportOptions.newBuilder()
                        .setConnectTimeout(10_000).setReadTimeout(30_000).build())
                // Reads of objects and listings do not use it; set, it spares a metadata-server probe for a default.
                .setProjectId(env.getOrDefault("GOOGLE_CLOUD_PROJECT", "dewy"))
                // dewy's scheduler retries a failed check itself, with its backoff: one quick retry here at most.
                .setRetrySettings(StorageOptions.getDefaultRetrySettings().toBuilder().setMaxAttempts(2).build());
        String emulator = env.get(EMULATOR_HOST);
        if (emulator != null && !emulator.isBlank()) {
            options.setHost(emulator.contains("://") ? emulator : "http://" + emulator)
                    .setCredentials(NoCredentials.getInstance());
        } else {
            options.setCredentials(credentials());
        }
        return options.build().getService();
    }

    /** Application Default Credentials, or one line saying why there are none (never the key file's content). */
    GoogleCredentials credentials() throws RegistryException {
        String file = env.get(CREDENTIALS_FILE);
        GoogleCredentials c;
        if (file != null && !file.isEmpty()) {
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                c = GoogleCredentials.fromStream(in);
            } catch (IOException | RuntimeException e) {
                throw new RegistryException(where + ": bad credentials: " + CREDENTIALS_FILE + "=" + file
                        + " is not a readable Google credentials file (" + e.getClass().getSimpleName() + ")", false);
            }
        } else {
            try {
                c = GoogleCredentials.getApplicationDefault();
            } catch (IOException e) {
                throw new RegistryException(where + ": no Google credentials: set " + CREDENTIALS_FILE
                        + " to a key file, run gcloud auth application-default login, or run on Google Cloud ("
                        + EMULATOR_HOST + " for an emulator)", false);
            }
        }
        return c.createScopedRequired() ? c.createScoped(List.of(READ_WRITE)) : c;
    }

    /**
     * The object's bytes as a stream whose every failure is an IOException: the client reports a missing object or
     * a refused token as a StorageException, which {@link Transfer}'s reader thread would not carry back.
     */
    private static final class Checked extends InputStream {
        private final ReadChannel channel;
        private final InputStream in;

        Checked(ReadChannel channel) {
            this.channel = channel;
            this.in = Channels.newInputStream(channel);
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (RuntimeException | IOException e) {
                throw translated(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (RuntimeException | IOException e) {
                throw translated(e);
            }
        }

        private static IOException translated(Exception e) {
            if (e.getCause() instanceof StorageException se) {
                return new IOException(describe(se), e);
            }
            return e instanceof IOException io ? io : new IOException(describe((RuntimeException) e), e);
        }

        private static String describe(RuntimeException e) {
            String m = Transfer.message(e);
            if (e instanceof StorageException se && se.getCode() > 0) {
                m += " (" + se.getCode() + ")";
            }
            return m.length() > 200 ? m.substring(0, 200) + "..." : m;
        }

        @Override
        public void close() {
            channel.close();
        }
    }
}
