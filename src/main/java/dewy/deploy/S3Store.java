package dewy.deploy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An S3 bucket (or an S3-compatible store's) through the AWS SDK for Java v2: Go dewy's
 * {@code s3://REGION/BUCKET/PREFIX}, with {@code ?endpoint=URL} for S3-compatible stores (path-style), else
 * {@code AWS_ENDPOINT_URL} (path-style too, as Go dewy), else AWS's own endpoint for the region. Credentials come from
 * the SDK's default chain: {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}(/{@code AWS_SESSION_TOKEN}),
 * {@code AWS_PROFILE} and {@code ~/.aws}, a web identity token (EKS IRSA), the ECS container role, EC2's instance role.
 *
 * <p>Only {@link Registry#parse} names this class, for an {@code s3://} URL: the SDK is loaded then and never
 * otherwise. The client itself is built at the first check, on the scheduler's thread, not on the way to the
 * application's start.
 */
final class S3Store implements ObjectStore {
    static final String FORMAT = "s3://REGION/BUCKET/PREFIX";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(30);
    /** A listing or a put, all retries included. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final String url;
    private final String region;
    private final String bucket;
    private final URI endpoint; // null: AWS's own
    private final AwsCredentialsProvider credentials; // null: the SDK's default chain
    private S3Client client; // built at first use

    S3Store(String url, String region, String bucket, URI endpoint, AwsCredentialsProvider credentials) {
        this.url = url;
        this.region = region;
        this.bucket = bucket;
        this.endpoint = endpoint;
        this.credentials = credentials;
    }

    /**
     * The registry of an {@code s3://} URL; {@code env} supplies {@code AWS_ENDPOINT_URL}.
     *
     * @throws IllegalArgumentException with one line when the URL is not {@value #FORMAT}
     */
    static Registry parse(String url, Map<String, String> env, String os, String arch, String calver, String slot) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": want " + FORMAT);
        }
        if (uri.getRawUserInfo() != null) { // not echoed: it may hold a secret
            throw new IllegalArgumentException("bad registry url: s3:// takes no credentials (they come from the "
                    + "AWS environment, profile or role)");
        }
        String region = uri.getHost();
        if (uri.isOpaque() || region == null || region.isEmpty() || uri.getPort() != -1
                || !region.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": want " + FORMAT
                    + " (a region such as us-east-1 first)");
        }
        if (uri.getRawFragment() != null) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": want " + FORMAT + " (no #fragment)");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String rest = path.startsWith("/") ? path.substring(1) : path;
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException("bad registry url \"" + url + "\": want " + FORMAT + " (no bucket)");
        }
        String prefix = ObjectStoreRegistry.prefix(slash < 0 ? "" : rest.substring(slash + 1));
        RegistryOptions options = RegistryOptions.parse(uri.getRawQuery(), url, Set.of("endpoint"))
                .with(calver, slot, url);
        URI endpoint = endpoint(options.store("endpoint"), url, "endpoint=");
        if (endpoint == null) {
            endpoint = endpoint(env.get("AWS_ENDPOINT_URL"), url, "AWS_ENDPOINT_URL");
        }
        S3Store store = new S3Store(url, region, bucket, endpoint, null);
        return new ObjectStoreRegistry(url, store, prefix, options, os, arch);
    }

    private static URI endpoint(String text, String url, String where) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            URI e = new URI(text);
            if (("http".equals(e.getScheme()) || "https".equals(e.getScheme())) && e.getHost() != null
                    && e.getRawUserInfo() == null && e.getRawQuery() == null && e.getRawFragment() == null) {
                return e;
            }
        } catch (URISyntaxException ignored) {
            // said below
        }
        String message = where + " wants http(s)://HOST[:PORT] (an S3-compatible endpoint)";
        throw new IllegalArgumentException(where.equals("endpoint=") ? "bad registry url \"" + url + "\": " + message
                : message);
    }

    @Override
    public String scheme() {
        return "s3";
    }

    @Override
    public String bucket() {
        return bucket;
    }

    /** Where requests go, for logs and tests: the endpoint given, or AWS's. */
    URI endpoint() {
        return endpoint;
    }

    private synchronized S3Client client() {
        if (client == null) {
            S3ClientBuilder b = S3Client.builder()
                    .region(Region.of(region))
                    .httpClientBuilder(UrlConnectionHttpClient.builder()
                            .connectionTimeout(CONNECT_TIMEOUT).socketTimeout(SOCKET_TIMEOUT))
                    .overrideConfiguration(c -> c.apiCallTimeout(CALL_TIMEOUT))
                    // S3-compatible stores may not know the SDK's newer default checksums (aws-chunked, CRC32
                    // trailers); dewy verifies artifacts with the release's own sha256 anyway.
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .credentialsProvider(credentials != null ? credentials : DefaultCredentialsProvider.builder()
                            .build());
            if (endpoint != null) {
                b.endpointOverride(endpoint).forcePathStyle(true);
            }
            client = b.build();
        }
        return client;
    }

    @Override
    public List<String> folders(String prefix) throws IOException, InterruptedException {
        List<String> folders = new ArrayList<>();
        try {
            for (ListObjectsV2Response page : pages(prefix)) {
                for (CommonPrefix p : page.commonPrefixes()) {
                    folders.add(p.prefix());
                }
            }
        } catch (SdkException e) {
            throw failure("listing " + (prefix.isEmpty() ? "the bucket" : prefix), e);
        }
        return folders;
    }

    @Override
    public List<StoredObject> objects(String folder) throws IOException, InterruptedException {
        List<StoredObject> objects = new ArrayList<>();
        try {
            for (ListObjectsV2Response page : pages(folder)) {
                for (S3Object o : page.contents()) {
                    if (!o.key().equals(folder)) {
                        objects.add(new StoredObject(o.key(), o.size() == null ? -1 : o.size()));
                    }
                }
            }
        } catch (SdkException e) {
            throw failure("listing " + folder, e);
        }
        return objects;
    }

    /** Every page of what is right under {@code prefix} (delimiter {@code /}); each page is fetched as it is read. */
    private Iterable<ListObjectsV2Response> pages(String prefix) {
        return client().listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix)
                .delimiter("/").build());
    }

    @Override
    public void copy(String key, OutputStream out, long maxBytes, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String what = "registry " + url + ": " + key;
        InputStream in;
        try {
            in = client().getObject(GetObjectRequest.builder().bucket(bucket).key(key)
                    .overrideConfiguration(c -> c.apiCallTimeout(timeout)).build());
        } catch (SdkException e) {
            throw failure(key, e);
        }
        Transfer.copy(new SdkErrorsAsIo(in), out, maxBytes, deadline, timeout, what);
    }

    /**
     * The SDK's body stream throws its own unchecked exceptions (AbortedException once the reading thread is
     * interrupted, as Transfer does to its reader when the copy ends early): as IOExceptions, which Transfer hands on.
     */
    private static final class SdkErrorsAsIo extends FilterInputStream {
        SdkErrorsAsIo(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (SdkException e) {
                throw new IOException(Transfer.message(e), e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (SdkException e) {
                throw new IOException(Transfer.message(e), e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } catch (SdkException e) {
                throw new IOException(Transfer.message(e), e);
            }
        }
    }

    @Override
    public void put(String key, byte[] body) throws IOException, InterruptedException {
        try {
            client().putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentType("text/plain").build(),
                    RequestBody.fromBytes(body));
        } catch (SdkException e) {
            throw failure("writing " + key, e);
        }
    }

    /**
     * One line for a failed call: S3's error code, status and message (never a credential); transient for 5xx,
     * throttling, timeouts and an unreachable endpoint, not for a missing bucket or refused credentials.
     */
    private IOException failure(String what, SdkException e) throws InterruptedException {
        if (e instanceof AbortedException || Thread.currentThread().isInterrupted() || Transfer.isInterrupt(e)) {
            throw Transfer.interrupted("registry " + url + ": " + what, e);
        }
        String prefix = "registry " + url + ": " + what + ": ";
        if (e instanceof S3Exception s3) {
            int status = s3.statusCode();
            String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            String message = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorMessage();
            StringBuilder b = new StringBuilder(prefix);
            if ("NoSuchBucket".equals(code)) {
                b.append("no bucket ").append(bucket).append(" (NoSuchBucket, ").append(status).append(')');
            } else {
                b.append(code == null || code.isEmpty() ? "HTTP" : code).append(" (").append(status).append(')');
                if (message != null && !message.isBlank()) {
                    b.append(": ").append(oneLine(message));
                }
                if (status == 401 || status == 403) {
                    b.append(" (check the AWS credentials and the bucket's policy)");
                }
            }
            boolean retry = status >= 500 || status == 429 || "SlowDown".equals(code)
                    || "RequestTimeout".equals(code);
            return new RegistryException(b.toString(), retry, null, e);
        }
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
            return new RegistryException(prefix + "timed out", true, null, e);
        }
        String message = Transfer.message(e);
        if (e instanceof SdkClientException && message.contains("Unable to load credentials")) {
            return new RegistryException(prefix + "no AWS credentials (set AWS_ACCESS_KEY_ID and "
                    + "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or give dewy an instance or IRSA role)", false, null, e);
        }
        return new RegistryException(prefix + oneLine(message), true, null, e);
    }

    private static String oneLine(String s) {
        String one = s.replace('\n', ' ').replace('\r', ' ');
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }

    @Override
    public String toString() {
        return "S3Store[" + region + "/" + bucket + (endpoint == null ? "" : " at " + endpoint) + "]";
    }
}
