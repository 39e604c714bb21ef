package dewy.deploy;

import dewy.posix.Sha256;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** sha256 of files, and the expected sha256 of an artifact read from a published checksum file. */
public final class Checksums {
    // sha256sum's "<hex>  name" (text mode) and "<hex> *name" (binary mode); one space also seen from other tools.
    private static final Pattern GNU = Pattern.compile("^([0-9a-fA-F]{64})[ \\t]+\\*?(.+)$");
    // BSD and `shasum --tag`: "SHA256 (name) = <hex>".
    private static final Pattern BSD = Pattern.compile("^SHA256 ?\\((.+)\\) ?= ?([0-9a-fA-F]{64})$");
    private static final Pattern BARE = Pattern.compile("^[0-9a-fA-F]{64}$");

    private Checksums() {
    }

    /**
     * The sha256 (lower-case hex) that {@code checksumText} gives for {@code artifactName}, or null when it lists none.
     * Reads {@code sha256sum} output and BSD tags; an entry's path may carry directories ({@code ./dist/NAME}). A text
     * that is a bare hex digest alone (a {@code NAME.sha256} file) is taken as the digest of the artifact.
     */
    public static String expected(String checksumText, String artifactName) {
        String[] lines = checksumText.split("\r?\n");
        String bare = null;
        int nonEmpty = 0;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            nonEmpty++;
            Matcher gnu = GNU.matcher(line);
            if (gnu.matches() && sameFile(gnu.group(2).strip(), artifactName)) {
                return gnu.group(1).toLowerCase(Locale.ROOT);
            }
            Matcher bsd = BSD.matcher(line);
            if (bsd.matches() && sameFile(bsd.group(1), artifactName)) {
                return bsd.group(2).toLowerCase(Locale.ROOT);
            }
            if (BARE.matcher(line).matches()) {
                bare = line.toLowerCase(Locale.ROOT);
            }
        }
        return nonEmpty == 1 ? bare : null;
    }

    private static boolean sameFile(String entry, String name) {
        return entry.equals(name) || entry.endsWith("/" + name);
    }

    /** The sha256 of {@code file}, lower-case hex, read in a stream. */
    public static String sha256(Path file) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try (Sha256.Hasher hasher = Sha256.newHasher(); InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                hasher.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(hasher.digest());
        }
    }

    /**
     * Writes through to {@code out} and hashes what it writes: a download is verified as its bytes arrive, never read
     * back from disk.
     */
    static final class HashingStream extends FilterOutputStream {
        private final Sha256.Hasher hasher;

        HashingStream(OutputStream out, Sha256.Hasher hasher) {
            super(out);
            this.hasher = hasher;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            hasher.update(b, off, len);
        }

        /** The sha256 of everything written, lower-case hex. */
        String sha256() {
            return HexFormat.of().formatHex(hasher.digest());
        }
    }
}
