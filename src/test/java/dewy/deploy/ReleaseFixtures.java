package dewy.deploy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/** Release artifacts for deploy tests: a working one per version, and the hostile kinds dewy must refuse. */
public final class ReleaseFixtures {
    /** The Python example server; a release's {@code app} script runs it with APP_VERSION set. */
    public static final Path PYTHON_APP = Path.of("docker/examples/python/app.py").toAbsolutePath();
    /** The artifact name tests use: matches linux and this machine's architecture. */
    public static final String ARTIFACT = "app_linux_" + arch() + ".tar.gz";

    /** The time in every tar header: 2026-01-01T00:00:00Z. */
    private static final java.util.Date MTIME = new java.util.Date(1_767_225_600_000L);

    private ReleaseFixtures() {
    }

    private static String arch() {
        String a = System.getProperty("os.arch");
        return a.equals("aarch64") || a.equals("arm64") ? "arm64" : "amd64";
    }

    /** A shell script that serves as {@code version}: {@code current/app}. */
    public static String appScript(String version, String... appArgs) {
        StringBuilder sb = new StringBuilder("#!/bin/sh\nAPP_VERSION=" + version + "\nexport APP_VERSION\nexec python3 "
                + PYTHON_APP);
        for (String a : appArgs) {
            sb.append(' ').append(a);
        }
        return sb.append(" \"$@\"\n").toString();
    }

    /** {@code app} (0755) and {@code VERSION} in a tar.gz. */
    public static byte[] appTarGz(String version, String... appArgs) {
        Map<String, Entry> files = new LinkedHashMap<>();
        files.put("app", new Entry(appScript(version, appArgs).getBytes(StandardCharsets.UTF_8), 0755));
        files.put("VERSION", new Entry((version + "\n").getBytes(StandardCharsets.UTF_8), 0644));
        return tarGz(files);
    }

    public record Entry(byte[] content, int mode) {
    }

    public static byte[] tarGz(Map<String, Entry> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, Entry> f : files.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(f.getKey(), true); // preserve "../" for hostile names
                e.setModTime(MTIME); // the same files give the same bytes, whenever they are packed
                e.setSize(f.getValue().content().length);
                e.setMode(0100000 | f.getValue().mode());
                tar.putArchiveEntry(e);
                tar.write(f.getValue().content());
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A zip whose entry climbs out of the release directory. */
    public static byte[] zipSlip() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            ZipArchiveEntry e = new ZipArchiveEntry("../../evil");
            zip.putArchiveEntry(e);
            zip.write("pwned\n".getBytes(StandardCharsets.UTF_8));
            zip.closeArchiveEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A tar.gz with a path-traversal entry. */
    public static byte[] tarSlip() {
        Map<String, Entry> files = new LinkedHashMap<>();
        files.put("app", new Entry("#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0755));
        files.put("../../evil", new Entry("pwned\n".getBytes(StandardCharsets.UTF_8), 0644));
        return tarGz(files);
    }

    /** The start of a real archive, cut off: gzip fails on it. */
    public static byte[] corrupt(String version) {
        byte[] whole = appTarGz(version);
        byte[] cut = new byte[whole.length / 2];
        System.arraycopy(whole, 0, cut, 0, cut.length);
        return cut;
    }

    /** Streams {@code asset} to {@code file} (created or truncated) through {@link Registry#copy}. */
    static void download(Registry registry, Asset asset, java.nio.file.Path file, long maxBytes,
            java.time.Duration timeout) throws java.io.IOException, InterruptedException {
        try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(file)) {
            registry.copy(asset, out, maxBytes, timeout);
        }
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** sha256sum's output for these files: a checksums.txt. */
    public static byte[] checksums(Map<String, byte[]> files) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            sb.append(sha256(f.getValue())).append("  ").append(f.getKey()).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
