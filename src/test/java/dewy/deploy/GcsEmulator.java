package dewy.deploy;

import com.google.cloud.NoCredentials;
import com.google.cloud.WriteChannel;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Firebase emulator suite's Cloud Storage emulator on 127.0.0.1, run by {@code src/test/js/gcs-emulator.js}
 * (firebase-tools from {@code DEWY_NPM_MODULES}, by default where .ci/run installs it:
 * /var/cache/dewy-ci/npm/node_modules), serving the buckets it was started with; any other bucket is a 404. Tests put
 * their fixtures in through Google's own client. Closing it ends the emulator (its stdin closes).
 */
public final class GcsEmulator implements AutoCloseable {
    public static final String MODULES = System.getenv().getOrDefault("DEWY_NPM_MODULES",
            "/var/cache/dewy-ci/npm/node_modules");

    private final Process process;
    private final String host;
    private final Path blobs;
    private final Storage storage;

    private GcsEmulator(Process process, String host, Path blobs) {
        this.process = process;
        this.host = host;
        this.blobs = blobs;
        this.storage = StorageOptions.http().setHost("http://" + host).setProjectId("dewy-test")
                .setCredentials(NoCredentials.getInstance()).build().getService();
    }

    /** Starts the emulator with {@code buckets}; fails (never skips) when firebase-tools is not installed. */
    public static GcsEmulator start(String... buckets) throws IOException {
        Path script = Path.of("src/test/js/gcs-emulator.js").toAbsolutePath();
        if (!Files.isDirectory(Path.of(MODULES, "firebase-tools"))) {
            throw new IllegalStateException("firebase-tools is not installed in " + MODULES
                    + ": .ci/run installs it (npm install --prefix /var/cache/dewy-ci/npm firebase-tools)");
        }
        List<String> command = new ArrayList<>(List.of("node", script.toString()));
        command.addAll(List.of(buckets));
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("DEWY_NPM_MODULES", MODULES);
        // The emulator keeps every object's bytes under os.tmpdir(): one directory per emulator, removed at close.
        Path blobs = Files.createTempDirectory("dewy-gcs-emulator");
        pb.environment().put("TMPDIR", blobs.toString());
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("listening ")) {
            p.destroyForcibly();
            throw new IOException("gcs-emulator.js did not start: " + line);
        }
        return new GcsEmulator(p, line.substring("listening ".length()), blobs);
    }

    /** {@code 127.0.0.1:PORT}: the value of STORAGE_EMULATOR_HOST. */
    public String host() {
        return host;
    }

    /** Google's client, talking to the emulator. */
    public Storage storage() {
        return storage;
    }

    /** A resumable upload, as dewy's own put: the emulator cannot read the parts of the client's multipart ones. */
    public void put(String bucket, String key, byte[] body) {
        try (WriteChannel w = storage.writer(BlobInfo.newBuilder(BlobId.of(bucket, key)).build())) {
            w.write(ByteBuffer.wrap(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void put(String bucket, String key, String body) {
        put(bucket, key, body.getBytes(StandardCharsets.UTF_8));
    }

    /** The keys under {@code prefix}, every page. */
    public List<String> keys(String bucket, String prefix) {
        List<String> keys = new ArrayList<>();
        storage.list(bucket, Storage.BlobListOption.prefix(prefix)).iterateAll().forEach(b -> keys.add(b.getName()));
        return keys;
    }

    @Override
    public void close() throws InterruptedException, IOException {
        process.getOutputStream().close();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        try (java.util.stream.Stream<Path> files = Files.walk(blobs)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
