package dewy.deploy;

import dewy.log.Log;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Unpacks a release archive (tar.gz, tgz, tar, zip) that may be hostile into an empty directory: nothing is
 * written outside it, no special files, no setuid bits, and bounded in bytes and entries. See {@link SafeTree} for
 * the rules on names and links.
 */
public final class Archives {
    /** Bounds on what one archive may unpack to, counted as written (headers can lie). */
    public record Limits(long maxBytes, int maxEntries) {
        /** 2 GiB and 100 000 entries. */
        public static final Limits DEFAULT = new Limits(2L << 30, 100_000);

        public Limits {
            if (maxBytes < 0 || maxEntries < 0) {
                throw new IllegalArgumentException("negative archive limit");
            }
        }
    }

    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFSOCK = 0140000;

    private Archives() {
    }

    /**
     * Unpacks {@code archive} into {@code dest}, which must exist and be empty. {@code name} (the file name as
     * published, e.g. {@code app_linux_amd64.tar.gz}) picks the format by its suffix and names the archive in
     * messages. Permission bits are kept ({@code mode & 0777}), owners are not.
     *
     * <p>On any exception {@code dest} may hold a partial tree: the caller deletes it. No file handle stays open.
     *
     * @throws ArchiveException the archive is refused: unsupported type, corrupt, hostile, or over {@code limits}
     * @throws InterruptedIOException the thread was interrupted (its interrupt flag stays set)
     * @throws IOException {@code dest} is missing or not empty, or writing below it failed
     */
    public static void extract(Path archive, String name, Path dest, Limits limits) throws IOException {
        Format format = Format.of(name);
        if (format == null) {
            throw new ArchiveException(name + ": unsupported archive type (want .tar.gz, .tgz, .tar or .zip)");
        }
        Path root = emptyDirectory(dest);
        SafeTree tree = new SafeTree(name, root, limits);
        try {
            if (format == Format.ZIP) {
                unzip(archive, name, tree);
            } else {
                untar(archive, name, format == Format.TAR_GZ, tree);
            }
            tree.finish();
        } catch (ClosedByInterruptException e) { // an interrupt closes the file channels under the streams
            InterruptedIOException ie = new InterruptedIOException(name + ": extraction interrupted");
            ie.initCause(e);
            throw ie;
        }
        Log.debug("archive extracted", "archive", name, "entries", tree.entries(), "bytes", tree.bytes());
    }

    private enum Format {
        TAR, TAR_GZ, ZIP;

        static Format of(String name) {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.endsWith(".tar.gz") || n.endsWith(".tgz")) {
                return TAR_GZ;
            }
            if (n.endsWith(".tar")) {
                return TAR;
            }
            if (n.endsWith(".zip")) {
                return ZIP;
            }
            return null;
        }
    }

    private static Path emptyDirectory(Path dest) throws IOException {
        if (!Files.isDirectory(dest)) {
            throw new IOException(dest + ": not a directory to extract into");
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dest)) {
            if (ds.iterator().hasNext()) {
                throw new IOException(dest + ": not empty, refusing to extract into it");
            }
        }
        return dest.toRealPath(); // checks below compare against the real directory, not a link to it
    }

    private static void untar(Path archive, String name, boolean gzip, SafeTree tree) throws IOException {
        try (InputStream file = new BufferedInputStream(Files.newInputStream(archive), 64 * 1024);
             InputStream plain = gzip ? gunzip(file, name) : file;
             TarReader tar = TarReader.of(plain, name)) {
            String last = null;
            while (true) {
                tree.checkInterrupt();
                TarArchiveEntry e = nextTar(tar, name, last);
                if (e == null) {
                    break;
                }
                String entry = e.getName();
                last = entry;
                tree.countEntry(entry);
                if (e.isDirectory()) {
                    tree.directory(entry, e.getMode());
                } else if (e.isSymbolicLink()) {
                    tree.symlink(entry, e.getLinkName());
                } else if (e.isLink()) {
                    tree.hardLink(entry, e.getLinkName());
                } else if (e.isCharacterDevice()) {
                    throw tree.refuse("entry " + SafeTree.show(entry) + " is a character device");
                } else if (e.isBlockDevice()) {
                    throw tree.refuse("entry " + SafeTree.show(entry) + " is a block device");
                } else if (e.isFIFO()) {
                    throw tree.refuse("entry " + SafeTree.show(entry) + " is a fifo");
                } else if (isRegular(e)) {
                    // a sparse file's header size is not its length; its holes come back as zeros, counted as written
                    tree.file(entry, tar, e.getMode(), e.isSparse() ? -1 : e.getSize(), -1, e.getLastModifiedTime());
                } else {
                    throw tree.refuse("entry " + SafeTree.show(entry) + " has the unsupported tar type '"
                            + SafeTree.show(String.valueOf((char) e.getLinkFlag())) + "'");
                }
            }
            if (gzip) {
                drain(plain, name, last, tree);
            }
        }
    }

    private static boolean isRegular(TarArchiveEntry e) {
        byte flag = e.getLinkFlag();
        return flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM || flag == TarConstants.LF_CONTIG
                || e.isSparse();
    }

    private static InputStream gunzip(InputStream in, String name) throws IOException {
        try {
            return new GZIPInputStream(in, 64 * 1024);
        } catch (IOException | RuntimeException e) {
            if (e instanceof ClosedByInterruptException || e instanceof InterruptedIOException) {
                throw (IOException) e;
            }
            throw corrupt(name, null, e);
        }
    }

    private static TarArchiveEntry nextTar(TarReader tar, String name, String last) throws IOException {
        try {
            return tar.next(last);
        } catch (ClosedByInterruptException | InterruptedIOException | ArchiveException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupt(name, last == null ? null : "after entry " + SafeTree.show(last), e);
        }
    }

    /**
     * Reads the gzip stream past the tar's end-of-archive blocks: only reaching its end checks gzip's CRC and
     * length, which is what catches a tar.gz cut short. The tail counts against the byte limit (a bomb after the
     * end would otherwise be free).
     */
    private static void drain(InputStream plain, String name, String last, SafeTree tree) throws IOException {
        byte[] buf = new byte[16 * 1024];
        String where = last == null ? "(end)" : last;
        while (true) {
            tree.checkInterrupt();
            int n;
            try {
                n = plain.read(buf);
            } catch (ClosedByInterruptException | InterruptedIOException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw corrupt(name, "at its end", e);
            }
            if (n < 0) {
                return;
            }
            tree.countBytes(where, n);
        }
    }

    private static void unzip(Path archive, String name, SafeTree tree) throws IOException {
        // The end records are checked before anything per entry is read, and entries are read one at a time:
        // nothing grows with the entry count (see ZipReader).
        try (ZipReader zip = ZipReader.open(archive, name, tree.maxEntries())) {
            while (true) {
                tree.checkInterrupt();
                ZipReader.Entry e = zipNext(zip, name);
                if (e == null) {
                    break;
                }
                String entry = e.name();
                tree.countEntry(entry);
                int mode = e.unixMode();
                int type = mode & S_IFMT;
                if (e.isDirectory() || type == S_IFDIR) {
                    tree.directory(entry, (mode & 0777) == 0 ? 0755 : mode);
                } else if (type == S_IFLNK) {
                    tree.symlink(entry, zipLinkTarget(zip, e, name, tree));
                } else if (type == 0 || type == S_IFREG) {
                    try (InputStream in = zipStream(zip, e, name, tree)) {
                        tree.file(entry, in, (mode & 0777) == 0 ? 0644 : mode, e.size(), e.crc(), e.mtime());
                    }
                } else {
                    throw tree.refuse("entry " + SafeTree.show(entry) + " is a " + special(type));
                }
            }
        }
    }

    private static String special(int type) {
        return switch (type) {
            case S_IFCHR -> "character device";
            case S_IFBLK -> "block device";
            case S_IFIFO -> "fifo";
            case S_IFSOCK -> "socket";
            default -> "file of unknown type " + Integer.toOctalString(type);
        };
    }

    private static ZipReader.Entry zipNext(ZipReader zip, String name) throws IOException {
        try {
            return zip.next();
        } catch (ClosedByInterruptException | InterruptedIOException | ArchiveException x) {
            throw x;
        } catch (IOException | RuntimeException x) {
            throw corrupt(name, "in its central directory", x);
        }
    }

    private static InputStream zipStream(ZipReader zip, ZipReader.Entry e, String name, SafeTree tree)
            throws IOException {
        if (!e.supported()) {
            throw tree.refuse("entry " + SafeTree.show(e.name()) + " uses encryption or a compression method not "
                    + "supported (method " + e.method() + ")");
        }
        try {
            return zip.open(e);
        } catch (ClosedByInterruptException | InterruptedIOException | ArchiveException x) {
            throw x;
        } catch (IOException | RuntimeException x) {
            throw corrupt(name, at(e.name()), x);
        }
    }

    /** A zip symlink keeps its target as the entry's data: read at most PATH_MAX of it, never the whole entry. */
    private static String zipLinkTarget(ZipReader zip, ZipReader.Entry e, String name, SafeTree tree)
            throws IOException {
        byte[] buf = new byte[SafeTree.MAX_LINK_TARGET + 1];
        int len = 0;
        try (InputStream in = zipStream(zip, e, name, tree)) {
            while (len < buf.length) {
                int n;
                try {
                    n = in.read(buf, len, buf.length - len);
                } catch (ClosedByInterruptException | InterruptedIOException x) {
                    throw x;
                } catch (IOException | RuntimeException x) {
                    throw corrupt(name, at(e.name()), x);
                }
                if (n < 0) {
                    break;
                }
                len += n;
            }
        }
        if (len > SafeTree.MAX_LINK_TARGET) {
            throw tree.refuse("entry " + SafeTree.show(e.name()) + " is a symlink with a target over "
                    + SafeTree.MAX_LINK_TARGET + " bytes");
        }
        tree.countBytes(e.name(), len);
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }

    /** commons-compress's or the JDK's complaint about a damaged archive, as one line naming archive and entry. */
    static ArchiveException corrupt(String name, String where, Exception cause) {
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new ArchiveException(name + ": corrupt or truncated archive" + (where == null ? "" : " " + where)
                + ": " + SafeTree.show(why.strip()), cause);
    }

    static String at(String entry) {
        return "at entry " + SafeTree.show(entry);
    }
}
