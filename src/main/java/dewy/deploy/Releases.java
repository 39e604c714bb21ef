package dewy.deploy;

import dewy.log.Log;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The work directory of pull deploys:
 * <pre>
 * WORKDIR/
 *   releases/v1.2.3_20261125T193250Z/     one per deploy: tag, '_', UTC time (a "-2", "-3" on a clash)
 *   releases/.staging-v1.2.3-123/         a deploy being unpacked (hidden: never taken for a release)
 *   current -> releases/v1.2.3_20261125T193250Z   a relative symlink, so the volume can be mounted anywhere
 * </pre>
 * Tags come from a registry and may hold anything ({@code release/1.2}): in directory names every character but
 * {@code A-Z a-z 0-9 . _ + - @ ~} (and a leading dot) is percent-encoded as UTF-8, and {@link #tagOf} decodes, so
 * {@link #currentTag()} gives back exactly the tag deployed.
 *
 * <p>Everything lives on one file system (the work directory's), so each step is a rename(2): a release appears
 * whole, and {@code current} is replaced without ever being missing. Each step is also durable: a release's files
 * and directories are fsynced before its rename and {@code releases/} after it; the work directory after each
 * {@code current} rename. So after a power loss {@code current} names a release whose files were all written. One scheduler owns a work directory; the
 * changing methods are synchronized because a rollback runs on the supervisor's loop while a stopped scheduler
 * cleans up after itself. Reading {@code current} never waits (the loop reads it for notifications).
 */
public final class Releases implements dewy.supervisor.ReleaseLink {
    private static final String RELEASES = "releases";
    private static final String CURRENT = "current";
    private static final String STAGING = ".staging-";
    private static final String CURRENT_TMP = ".current.tmp-";
    /** Leaves room below NAME_MAX (255) for the timestamp, a clash suffix and the staging decoration. */
    private static final int MAX_ENCODED_TAG = 200;
    private static final int MAX_CLASHES = 1000;
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern RELEASE = Pattern.compile("(.+)_(\\d{8}T\\d{6}Z)(?:-(\\d{1,9}))?");
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * The durability calls: fsync(2) of a file or a directory. Tests record them; {@link #DISK} makes them. A file
     * that cannot be synced fails the commit; a directory is synced best effort (some file systems refuse to open or
     * sync one), as {@link #DISK} logs.
     */
    interface Sync {
        void file(Path file) throws IOException;

        void directory(Path dir);

        Sync DISK = new Sync() {
            @Override
            public void file(Path file) throws IOException {
                forceFile(file);
            }

            @Override
            public void directory(Path dir) {
                syncDirectory(dir);
            }
        };
    }

    private final Path workdir;
    private final Path releases;
    private final Path current;
    private final Clock clock;
    private final Sync sync;

    public Releases(Path workdir, Clock clock) {
        this(workdir, clock, Sync.DISK);
    }

    Releases(Path workdir, Clock clock, Sync sync) {
        this.workdir = workdir.toAbsolutePath().normalize();
        this.releases = this.workdir.resolve(RELEASES);
        this.current = this.workdir.resolve(CURRENT);
        this.clock = clock;
        this.sync = sync;
    }

    public Path workdir() {
        return workdir;
    }

    /** {@code WORKDIR/releases} (created on demand by {@link #stage}). */
    public Path releasesDir() {
        return releases;
    }

    /** The link path, {@code WORKDIR/current}, whether or not it exists. */
    public Path current() {
        return current;
    }

    /**
     * The release {@code current} points at, as {@code WORKDIR/releases/<name>} (lexical: not checked to exist), or
     * null when there is no {@code current} symlink (none at all, or a real file or directory there).
     */
    public Path currentTarget() throws IOException {
        if (!Files.isSymbolicLink(current)) {
            return null;
        }
        try {
            return workdir.resolve(Files.readSymbolicLink(current)).normalize();
        } catch (NoSuchFileException e) {
            return null; // removed in between
        }
    }

    /**
     * The tag of the current release, or null when there is none, it dangles, its name is not {@code <tag>_<time>},
     * or the link cannot be read: every caller (the scheduler, notifications, start-up) treats all three as "no version".
     */
    public String currentTag() {
        try {
            Path target = currentTarget();
            // a link that dangles (its release was removed by hand) names nothing that can run
            return target == null || !Files.isDirectory(target) ? null : tagOf(target);
        } catch (IOException e) {
            return null;
        }
    }

    /** Creates an empty, hidden {@code releases/.staging-<tag>-<random>} to unpack a release into. */
    public synchronized Path stage(String tag) throws IOException {
        String encoded = encodeTag(tag);
        Files.createDirectories(releases);
        Path dir = Files.createTempDirectory(releases, STAGING + encoded + "-");
        setMode(dir, 0755); // createTempDirectory makes 0700; the app may run as another user
        return dir;
    }

    /**
     * Makes a staged tree durable: every regular file, then every directory (below first, the staging directory
     * last), is fsynced. {@link #commit} does this itself; calling it first, on a thread that may wait (the
     * scheduler's, after unpacking), leaves the commit on the loop only fsyncs of clean files, which cost no I/O.
     */
    public void sync(Path staged) throws IOException {
        Path dir = stagingDir(staged);
        syncTree(dir);
        synchronized (this) {
            synced.add(dir);
        }
    }

    /** Staged trees {@link #sync} made durable and nothing has written to since (the scheduler's, once unpacked). */
    private final Set<Path> synced = new HashSet<>();

    private void syncTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() { // never follows a link: a link's target is not ours
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    sync.file(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                sync.directory(d); // after its entries: the names of the files synced above
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Renames a staged directory to {@code releases/<tag>_<UTC time>} (with {@code -2}, {@code -3}... when that
     * name is taken) and returns the release. Durable: the staged tree is fsynced first ({@link #sync}), then the
     * rename, then {@code releases/}, so after a power loss a release in {@code releases/} has all its files.
     */
    public synchronized Path commit(Path staged, String tag) throws IOException {
        Path dir = stagingDir(staged);
        if (!synced.remove(dir)) { // on the loop's thread: the walk is only done here when the scheduler did not
            syncTree(dir);
        }
        String base = encodeTag(tag) + "_" + STAMP.format(clock.instant());
        for (int n = 1; n <= MAX_CLASHES; n++) {
            Path release = releases.resolve(n == 1 ? base : base + "-" + n);
            if (Files.exists(release, LinkOption.NOFOLLOW_LINKS)) {
                continue; // rename(2) would replace an empty directory: never take a name already there
            }
            try {
                Files.move(dir, release, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                continue;
            }
            sync.directory(releases);
            return release;
        }
        throw new IOException(releases.resolve(base) + ": " + MAX_CLASHES + " releases of that name already exist");
    }

    private Path stagingDir(Path staged) throws IOException {
        Path dir = staged.toAbsolutePath().normalize();
        if (!releases.equals(dir.getParent()) || !dir.getFileName().toString().startsWith(STAGING)
                || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(staged + ": not a staging directory of " + releases);
        }
        return dir;
    }

    /**
     * Points {@code current} at {@code release} (a directory directly in {@code releases/}) by renaming a fresh
     * symlink over it: {@code current} is never missing, and a crash leaves the old or the new link. Returns the
     * previous target, or null when there was none.
     */
    public synchronized Path swap(Path release) throws IOException {
        Path target = release.toAbsolutePath().normalize();
        Path name = target.getFileName();
        if (!releases.equals(target.getParent()) || name.toString().startsWith(".")) {
            throw new IOException(release + ": not a release in " + releases);
        }
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(release + ": not a release directory");
        }
        refuseNonLink();
        Path previous = currentTarget();
        Path tmp = workdir.resolve(CURRENT_TMP + random());
        Files.createSymbolicLink(tmp, workdir.relativize(target));
        try {
            // rename(2): atomically replaces the old link; fails on a directory rather than touching it
            Files.move(tmp, current, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        sync.directory(workdir); // the rename itself: current names the new release after a power loss too
        return previous;
    }

    /** Puts back what {@link #swap} returned: {@code previous == null} removes {@code current}. */
    public synchronized void restore(Path previous) throws IOException {
        if (previous != null) {
            swap(previous);
            return;
        }
        refuseNonLink();
        Files.deleteIfExists(current);
        sync.directory(workdir);
    }

    /**
     * Deletes all but the newest {@code keep} releases (newest by the time in the name, then the name), never the
     * current one nor one in {@code protect}; returns those deleted. Symlinks inside a release are deleted, never
     * followed. Directories in {@code releases/} that are not named like a release are left alone. A release that
     * cannot be deleted is logged and skipped (the next prune retries it).
     */
    public synchronized List<Path> prune(int keep, Collection<Path> protect) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1, not " + keep);
        }
        List<Path> all = list();
        all.sort(Comparator.comparing(Releases::order).reversed());
        Set<Path> kept = new HashSet<>();
        Path target = currentTarget();
        if (target != null) {
            kept.add(target);
        }
        for (Path p : protect) {
            kept.add(p.toAbsolutePath().normalize());
        }
        List<Path> deleted = new ArrayList<>();
        for (int i = keep; i < all.size(); i++) {
            Path release = all.get(i);
            if (kept.contains(release) || isProtectedByIdentity(release, kept)) {
                continue;
            }
            try {
                deleteTree(release);
                deleted.add(release);
                Log.info("old release deleted", "release", release.getFileName());
            } catch (IOException e) {
                Log.warn("old release not deleted", "release", release.getFileName(), "error", e.getMessage());
            }
        }
        return deleted;
    }

    /**
     * Removes what an abandoned or crashed deploy left: {@code releases/.staging-*} directories and
     * {@code WORKDIR/.current.tmp-*} links. Call when no deploy is running (at start, before the first).
     */
    public synchronized void cleanStaging() throws IOException {
        if (Files.isDirectory(releases, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(releases, STAGING + "*")) {
                for (Path p : ds) {
                    deleteTree(p);
                    Log.info("abandoned staging directory deleted", "path", p);
                }
            }
        }
        if (Files.isDirectory(workdir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(workdir, CURRENT_TMP + "*")) {
                for (Path p : ds) {
                    if (Files.isSymbolicLink(p)) { // only the links swap makes; anything else is not ours
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    /** The tag in a release's name ({@code <tag>_<yyyyMMdd'T'HHmmss'Z'>[-n]}), decoded; null when not in that form. */
    public static String tagOf(Path release) {
        Path name = release == null ? null : release.getFileName();
        if (name == null) {
            return null;
        }
        Matcher m = RELEASE.matcher(name.toString());
        return m.matches() && !m.group(1).startsWith(".") ? decodeTag(m.group(1)) : null;
    }

    /** Releases in {@code releases/}: real directories named like one (not staging, not links). */
    private List<Path> list() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(releases, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(releases)) {
            for (Path p : ds) {
                if (tagOf(p) != null && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** Sort key: the timestamp, then the clash number, then the name. */
    private static String order(Path release) {
        Matcher m = RELEASE.matcher(release.getFileName().toString());
        if (!m.matches()) {
            return "";
        }
        int clash = m.group(3) == null ? 1 : Integer.parseInt(m.group(3));
        return m.group(2) + String.format("%010d", clash) + "/" + m.group(1);
    }

    /** A protect entry given by another path to the same directory (a symlinked work directory) still counts. */
    private static boolean isProtectedByIdentity(Path release, Set<Path> kept) {
        for (Path p : kept) {
            try {
                if (Files.exists(p) && Files.isSameFile(p, release)) {
                    return true;
                }
            } catch (IOException e) {
                // not comparable: not the same
            }
        }
        return false;
    }

    private void refuseNonLink() throws IOException {
        if (Files.exists(current, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(current)) {
            throw new IOException(current + " is a " + (Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)
                    ? "directory" : "file") + ", not a symlink: refusing to replace it (move it away first)");
        }
    }

    /** Deletes a tree without following symlinks; makes directories writable first (an app may have chmod-ed them). */
    static void deleteTree(Path top) throws IOException {
        if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(top, new SimpleFileVisitor<>() { // walkFileTree does not follow links by default
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!Files.isWritable(dir) || !Files.isExecutable(dir)) {
                    setMode(dir, 0700);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof AccessDeniedException && Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                    setMode(file, 0700); // unreadable directory: open it up, then walk it again
                    deleteTree(file);
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void setMode(Path p, int mode) throws IOException {
        PosixFileAttributeView view =
                Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (view != null) {
            Set<PosixFilePermission> perms = EnumSet.copyOf(SafeTree.permissions(mode | 0700));
            view.setPermissions(perms);
        }
    }

    /**
     * fsync of a regular file. One this process cannot read (an archive may set mode 0200 or 0) is opened for
     * writing instead, or made owner-readable for the moment of the sync.
     */
    static void forceFile(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
            return;
        } catch (AccessDeniedException e) {
            // below
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
            return;
        } catch (AccessDeniedException e) {
            // below
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> readable = EnumSet.of(PosixFilePermission.OWNER_READ);
        readable.addAll(mode);
        Files.setPosixFilePermissions(file, readable);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        } finally {
            Files.setPosixFilePermissions(file, mode);
        }
    }

    /** Makes a rename durable (best effort: some file systems refuse to open or sync a directory). */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Log.debug("directory not synced", "path", dir, "error", e.getMessage());
        }
    }

    private static String random() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The tag as a safe directory name component; see the class comment. */
    static String encodeTag(String tag) {
        if (tag == null || tag.isEmpty()) {
            throw new IllegalArgumentException("empty release tag");
        }
        StringBuilder sb = new StringBuilder();
        byte[] bytes = tag.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                    || b == '_' || b == '+' || b == '-' || b == '@' || b == '~' || (b == '.' && i > 0);
            if (plain) {
                sb.append((char) b);
            } else {
                sb.append('%').append(String.format("%02X", b));
            }
        }
        if (sb.length() > MAX_ENCODED_TAG) {
            throw new IllegalArgumentException("release tag too long for a directory name: "
                    + SafeTree.show(tag.length() > 60 ? tag.substring(0, 60) + "..." : tag));
        }
        return sb.toString();
    }

    /** The inverse of {@link #encodeTag}; null for a malformed encoding (a directory we did not name). */
    static String decodeTag(String encoded) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%') {
                if (i + 2 >= encoded.length()) {
                    return null;
                }
                int hi = Character.digit(encoded.charAt(i + 1), 16);
                int lo = Character.digit(encoded.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) {
                out.write(c);
            } else {
                return null;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
