package dewy.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server for the s3:// tests: <a href="https://github.com/gaul/s3proxy">S3Proxy</a> (from Maven
 * Central, copied to {@code target/s3proxy/s3proxy.jar} by the build) with jclouds' in-memory blobstore, in a JVM of
 * its own on 127.0.0.1, checking AWS v2/v4 signatures against one key pair. {@link #client()} is an SDK client for
 * the test's own writes (publishing releases).
 */
public final class S3Proxy implements AutoCloseable {
    public static final String ACCESS_KEY = "AKIADEWYTEST0000";
    public static final String SECRET_KEY = "dewy-s3-secret-key-for-tests-0123456789";
    public static final String REGION = "us-east-1";

    private final Process process;
    private final int port;
    private final Path log;
    private final S3Client client;

    private S3Proxy(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.client = S3Client.builder().region(Region.of(REGION)).endpointOverride(endpoint()).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY,
                        SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    /** Starts S3Proxy on a free port of 127.0.0.1 and waits until it answers (its files go to {@code dir}). */
    public static S3Proxy start(Path dir) throws IOException, InterruptedException {
        String jar = System.getProperty("dewy.s3proxy.jar", "target/s3proxy/s3proxy.jar");
        if (!Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException(jar + " is missing: mvn generate-test-resources copies it");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.createDirectories(dir);
        Path props = dir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=transient",
                "jclouds.identity=unused",
                "jclouds.credential=unused",
                ""));
        Path log = dir.resolve("s3proxy.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", jar, "--properties", props.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                break;
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("S3Proxy did not start on 127.0.0.1:" + port + ":\n"
                            + Files.readString(log));
                }
                Thread.sleep(100);
            }
        }
        return new S3Proxy(p, port, log);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    public S3Client client() {
        return client;
    }

    /** dewy's URL for {@code bucket}/{@code prefix} on this server ({@code ?endpoint=} given). */
    public String url(String bucket, String prefix) {
        return "s3://" + REGION + "/" + bucket + "/" + prefix + "?endpoint=" + endpoint();
    }

    /** The environment a dewy reading this server needs: the key pair, and no EC2 metadata look-up, ever. */
    public Map<String, String> env() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY,
                "AWS_EC2_METADATA_DISABLED", "true");
    }

    public void createBucket(String bucket) {
        client.createBucket(b -> b.bucket(bucket));
    }

    public void put(String bucket, String key, byte[] body) {
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
    }

    /**
     * A release as README says to upload one: the checksum file (when {@code checksums} is not null) first, the
     * artifact last. S3 has no rename: the folder appears with its first object.
     */
    public void publish(String bucket, String prefix, String tag, String artifact, byte[] bytes, byte[] checksums) {
        if (checksums != null) {
            put(bucket, prefix + tag + "/checksums.txt", checksums);
        }
        put(bucket, prefix + tag + "/" + artifact, bytes);
    }

    /** The keys under {@code prefix}, every page read. */
    public List<String> keys(String bucket, String prefix) {
        return client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(o -> o.key()).toList();
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        client.close();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
