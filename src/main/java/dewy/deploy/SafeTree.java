package dewy.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * The release directory as {@link Archives} fills it, one entry at a time, with every check that keeps a hostile
 * archive below it. Format-neutral: the tar and zip readers only translate their entries into these calls.
 *
 * <p>Names are checked as strings (no {@code ..}, not absolute, no NUL) and then written only through parents that
 * are real directories this extraction created: an entry is never written through a symlink, not even one that
 * points inside (so {@code lib -> sub} followed by {@code lib/f} is refused; real archives name the real path).
 * Symlinks are checked lexically when created and, once everything is on disk, again by resolving them the way
 * the kernel would, symlink by symlink: a link whose lexical target stays inside can still escape through another
 * link ({@code l -> .}, then {@code m -> l/../..}).
 *
 * <p>Not thread-safe; one instance per extraction. Only this extraction writes below {@code root} (the caller's
 * fresh, private directory), so a check followed by a write is not a race an archive can win.
 */
final class SafeTree {
    /** The kernel's limit on symlinks followed while resolving one path (Linux: 40, then ELOOP). */
    private static final int MAX_HOPS = 40;
    /** PATH_MAX: a longer symlink target cannot be created anyway. */
    static final int MAX_LINK_TARGET = 4095;

    private final String archive;
    private final Path root;
    private final Archives.Limits limits;
    /** PATH_MAX: a longer entry name cannot be created anyway (and is not held in memory past this check). */
    static final int MAX_NAME = 4096;
    /** What the directory cache may hold, in characters: a cache, so it is emptied rather than grown. */
    static final int MAX_CACHED_DIR_CHARS = 1 << 20;

    private final byte[] buffer = new byte[64 * 1024];
    /**
     * Relative paths known to be real directories (created or checked here): nothing replaces them later. Only a
     * cache of what {@link #makeDirs} checks with lstat, so bounded: nothing here grows with the entry count.
     */
    private final Set<String> dirs = new HashSet<>();
    private long dirChars;
    /** Symlinks created: when there are any, {@link #finish} walks the tree and resolves each one again. */
    private int links;
    private long bytes;
    private int entries;

    SafeTree(String archive, Path root, Archives.Limits limits) {
        this.archive = archive;
        this.root = root;
        this.limits = limits;
    }

    long bytes() {
        return bytes;
    }

    int entries() {
        return entries;
    }

    int maxEntries() {
        return limits.maxEntries();
    }

    /** Counts one more entry of the archive (each header, whatever its type) against the limit. */
    void countEntry(String entry) throws ArchiveException {
        if (++entries > limits.maxEntries()) {
            throw refuse("exceeds the limit of " + limits.maxEntries() + " entries at entry " + show(entry));
        }
        if (entry.length() > MAX_NAME) {
            throw refuse("entry " + show(entry) + " has a name of " + entry.length() + " characters (at most "
                    + MAX_NAME + ")");
        }
    }

    /** Counts bytes read from the archive but written nowhere (a compressed stream's tail) against the limit. */
    void countBytes(String entry, long n) throws ArchiveException {
        bytes += n;
        if (bytes > limits.maxBytes()) {
            throw refuse("exceeds the limit of " + limits.maxBytes() + " bytes unpacked at entry " + show(entry));
        }
    }

    void checkInterrupt() throws InterruptedIOException {
        if (Thread.currentThread().isInterrupted()) { // the flag stays set for the caller's own checks
            throw new InterruptedIOException(archive + ": extraction interrupted");
        }
    }

    /** A directory entry: created if new (merged if it exists), owner rwx always so the entries below can be written. */
    void directory(String entry, int mode) throws IOException {
        List<String> segs = segments(entry, true);
        if (segs.isEmpty()) {
            return; // "./": the release directory itself, which keeps the caller's mode
        }
        makeDirs(entry, segs, segs.size());
        setMode(root.resolve(String.join("/", segs)), (mode & 0777) | 0700);
    }

    /**
     * A regular file, streamed from {@code in} (which this does not close). {@code expectedSize} and {@code expectedCrc}
     * (-1: unknown) catch a truncated or damaged entry; the limit counts the bytes actually written, not the header's.
     */
    void file(String entry, InputStream in, int mode, long expectedSize, long expectedCrc, FileTime mtime)
            throws IOException {
        Path target = prepare(entry);
        CRC32 crc = expectedCrc >= 0 ? new CRC32() : null;
        long written = 0;
        try (SeekableByteChannel out = Files.newByteChannel(target, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS))) {
            while (true) {
                checkInterrupt();
                int n = read(entry, in);
                if (n < 0) {
                    break;
                }
                countBytes(entry, n);
                written += n;
                if (crc != null) {
                    crc.update(buffer, 0, n);
                }
                ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
            }
        } catch (FileAlreadyExistsException e) {
            throw duplicate(entry);
        } catch (ClosedByInterruptException e) {
            throw interrupted(e);
        }
        if (expectedSize >= 0 && written != expectedSize) {
            throw refuse("entry " + show(entry) + " has " + written + " bytes where its header says " + expectedSize
                    + " (truncated or damaged)");
        }
        if (crc != null && crc.getValue() != expectedCrc) {
            throw refuse("entry " + show(entry) + " fails its crc check");
        }
        setMode(target, mode & 0777); // & 0777: no setuid, setgid or sticky bit from an archive
        if (mtime != null) {
            try {
                Files.getFileAttributeView(target, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(mtime, null, null);
            } catch (IOException | ArithmeticException e) {
                // a time the file system cannot store (year 1 or 30000): the file is fine without it
            }
        }
    }

    /** A symlink whose target must stay below the release directory; kept as written (relative). */
    void symlink(String entry, String target) throws IOException {
        List<String> segs = segments(entry, false);
        if (target == null || target.isEmpty()) {
            throw refuse("entry " + show(entry) + " is a symlink with an empty target");
        }
        if (target.indexOf('\0') >= 0) {
            throw refuse("entry " + show(entry) + " is a symlink with a NUL in its target");
        }
        if (target.length() > MAX_LINK_TARGET) {
            throw refuse("entry " + show(entry) + " is a symlink with a target of " + target.length() + " characters");
        }
        if (target.startsWith("/")) {
            throw refuse("entry " + show(entry) + " is a symlink to the absolute path " + show(target));
        }
        List<String> at = new ArrayList<>(segs.subList(0, segs.size() - 1)); // relative to the link's parent
        if (lexicallyEscapes(at, target)) {
            throw refuse("entry " + show(entry) + " is a symlink to " + show(target)
                    + ", which escapes the release directory");
        }
        Path link = prepare(entry);
        try {
            Files.createSymbolicLink(link, root.getFileSystem().getPath(target));
        } catch (FileAlreadyExistsException e) {
            throw duplicate(entry);
        } catch (InvalidPathException e) {
            throw refuse("entry " + show(entry) + " is a symlink to " + show(target) + ", which this system cannot "
                    + "represent");
        }
        links++;
    }

    /** A hard link: only to a regular file this archive extracted before it (never a directory, never outside). */
    void hardLink(String entry, String target) throws IOException {
        if (target != null && target.length() > MAX_NAME) {
            throw refuse("entry " + show(entry) + " is a hard link to a name of " + target.length() + " characters");
        }
        List<String> to;
        try {
            to = segments(target == null ? "" : target, false);
        } catch (ArchiveException e) {
            throw refuse("entry " + show(entry) + " is a hard link to " + show(target)
                    + ", which escapes the release directory");
        }
        String toRel = String.join("/", to);
        if (!extractedFile(to)) {
            throw refuse("entry " + show(entry) + " is a hard link to " + show(target)
                    + ", which is not a file extracted before it");
        }
        Path link = prepare(entry);
        try {
            Files.createLink(link, root.resolve(toRel));
        } catch (FileAlreadyExistsException e) {
            throw duplicate(entry);
        }
    }

    /**
     * Whether {@code segs} name a regular file reached through real directories only. Only this extraction writes
     * below the root, so such a file is one it extracted before: asked of the file system, not of a list that
     * would grow with the entries.
     */
    private boolean extractedFile(List<String> segs) throws IOException {
        Path p = root;
        for (int i = 0; i < segs.size(); i++) {
            try {
                p = p.resolve(segs.get(i));
            } catch (InvalidPathException e) {
                return false;
            }
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return false;
            }
            if (i < segs.size() - 1 ? !attrs.isDirectory() : !attrs.isRegularFile()) {
                return false; // a symlink on the way, a directory or a special file at the end
            }
        }
        return true;
    }

    /** Resolves every symlink created, now that all of them exist, and refuses one that leaves the tree. */
    void finish() throws IOException {
        if (links == 0) {
            return;
        }
        // The links are found again on disk rather than listed as created: nothing kept per entry.
        Files.walkFileTree(root, new SimpleFileVisitor<>() { // never follows a link
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                checkInterrupt();
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String link = relative(file);
                if (attrs.isSymbolicLink() && resolvesOutside(link)) {
                    throw refuse("entry " + show(link) + " is a symlink that escapes the release directory "
                            + "through another symlink");
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    ArchiveException refuse(String what) {
        return new ArchiveException(archive + ": " + what);
    }

    /** Reads from the archive: a failure there is the archive's fault, unlike one writing the file. */
    private int read(String entry, InputStream in) throws IOException {
        try {
            return in.read(buffer);
        } catch (InterruptedIOException e) {
            throw e;
        } catch (ClosedByInterruptException e) {
            throw interrupted(e);
        } catch (IOException | RuntimeException e) {
            throw Archives.corrupt(archive, Archives.at(entry), e);
        }
    }

    private InterruptedIOException interrupted(Exception cause) {
        InterruptedIOException e = new InterruptedIOException(archive + ": extraction interrupted");
        e.initCause(cause);
        return e;
    }

    /** Checks the name, creates the parents and makes sure nothing is there yet; returns where the entry goes. */
    private Path prepare(String entry) throws IOException {
        List<String> segs = segments(entry, false);
        makeDirs(entry, segs, segs.size() - 1);
        Path target = resolve(entry, segs);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw duplicate(entry);
        }
        return target;
    }

    /** Creates (or checks) the first {@code count} segments as real directories, never through a symlink. */
    private void makeDirs(String entry, List<String> segs, int count) throws IOException {
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                prefix.append('/');
            }
            prefix.append(segs.get(i));
            String rel = prefix.toString();
            if (dirs.contains(rel)) {
                continue;
            }
            if (dirChars + rel.length() > MAX_CACHED_DIR_CHARS) {
                dirs.clear(); // a cache: checked again with lstat from now on
                dirChars = 0;
            }
            Path dir = resolve(entry, segs.subList(0, i + 1));
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                Files.createDirectory(dir);
                setMode(dir, 0755); // not the umask's idea: a fixed, readable layout
                cacheDir(rel);
                continue;
            }
            if (attrs.isSymbolicLink()) {
                throw refuse("entry " + show(entry) + " would be written through the symlink " + show(rel));
            }
            if (!attrs.isDirectory()) {
                throw refuse("entry " + show(entry) + " would be written below the file " + show(rel));
            }
            cacheDir(rel);
        }
    }

    private void cacheDir(String rel) {
        if (dirs.add(rel)) {
            dirChars += rel.length();
        }
    }

    private Path resolve(String entry, List<String> segs) throws ArchiveException {
        try {
            return root.resolve(String.join("/", segs));
        } catch (InvalidPathException e) {
            throw refuse("entry " + show(entry) + " has a name this system cannot represent");
        }
    }

    private String relative(Path p) {
        return root.relativize(p).toString();
    }

    private ArchiveException duplicate(String entry) {
        return refuse("entry " + show(entry) + " already exists (a duplicate entry)");
    }

    /**
     * The entry's name as path segments: {@code ./} and empty segments dropped; absolute names, any {@code ..}
     * (even one that would stay inside) and NUL refused.
     */
    List<String> segments(String entry, boolean allowEmpty) throws ArchiveException {
        if (entry.indexOf('\0') >= 0) {
            throw refuse("entry " + show(entry) + " has a NUL in its name");
        }
        if (entry.startsWith("/")) {
            throw refuse("entry " + show(entry) + " has an absolute name");
        }
        List<String> segs = new ArrayList<>();
        for (String s : entry.split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                throw refuse("entry " + show(entry) + " escapes the release directory");
            }
            segs.add(s);
        }
        if (segs.isEmpty() && !allowEmpty) {
            throw refuse("entry " + show(entry) + " has an empty name");
        }
        return segs;
    }

    /** Whether {@code target}, taken from the directory {@code at} (segments below the root), leaves the root. */
    static boolean lexicallyEscapes(List<String> at, String target) {
        Deque<String> path = new ArrayDeque<>(at);
        for (String s : target.split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (path.isEmpty()) {
                    return true;
                }
                path.removeLast();
            } else {
                path.addLast(s);
            }
        }
        return false;
    }

    /**
     * Resolves {@code link} (relative to the root) the way the kernel would, following each symlink met on the way,
     * and tells whether the walk ever leaves the root. A component that does not exist is taken lexically (the kernel
     * would fail there anyway); more than {@link #MAX_HOPS} links is refused as a loop.
     */
    private boolean resolvesOutside(String link) throws IOException {
        Deque<String> path = new ArrayDeque<>();
        Deque<String> todo = new ArrayDeque<>(List.of(link.split("/")));
        int hops = 0;
        while (!todo.isEmpty()) {
            String s = todo.removeFirst();
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (path.isEmpty()) {
                    return true;
                }
                path.removeLast();
                continue;
            }
            path.addLast(s);
            Path p = root.resolve(String.join("/", path));
            if (!Files.isSymbolicLink(p)) {
                continue;
            }
            if (++hops > MAX_HOPS) {
                throw refuse("entry " + show(link) + " is a symlink in a loop of more than " + MAX_HOPS + " links");
            }
            String target = Files.readSymbolicLink(p).toString();
            if (target.startsWith("/")) {
                return true;
            }
            path.removeLast();
            String[] ts = target.split("/");
            for (int i = ts.length - 1; i >= 0; i--) {
                todo.addFirst(ts[i]);
            }
        }
        return false;
    }

    private static void setMode(Path p, int mode) throws IOException {
        PosixFileAttributeView view =
                Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (view != null) { // a file system without POSIX modes keeps its defaults
            view.setPermissions(permissions(mode));
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = { // bit 8 (owner read) down to bit 0 (others execute)
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE};
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(order[i]);
            }
        }
        return set;
    }

    /** A name fit for a one-line message: control characters (a newline in a hostile name) escaped. */
    static String show(String s) {
        if (s == null) {
            return "(none)";
        }
        StringBuilder sb = new StringBuilder(s.length());
        int limit = Math.min(s.length(), 300); // a 4 KiB hostile name would drown the message
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (limit < s.length()) {
            sb.append("...");
        }
        return sb.toString();
    }
}
