package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchivesTest {
    @TempDir
    Path tmp;

    // ---- archive builders --------------------------------------------------------------------------------------

    /** Entries for a tar, written with names exactly as given (absolute and ".." kept). */
    private static final class Tar {
        private final List<TarArchiveEntry> entries = new ArrayList<>();
        private final List<byte[]> data = new ArrayList<>();

        Tar file(String name, String content, int mode) {
            return file(name, content.getBytes(StandardCharsets.UTF_8), mode);
        }

        Tar file(String name, byte[] content, int mode) {
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            e.setMode(0100000 | mode);
            e.setSize(content.length);
            return add(e, content);
        }

        Tar dir(String name, int mode) {
            TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, true);
            e.setMode(040000 | mode);
            return add(e, null);
        }

        Tar symlink(String name, String target) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
            e.setLinkName(target);
            return add(e, null);
        }

        Tar hardLink(String name, String target) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
            e.setLinkName(target);
            return add(e, null);
        }

        Tar special(String name, byte type) {
            TarArchiveEntry e = new TarArchiveEntry(name, type, true);
            e.setDevMajor(1);
            e.setDevMinor(3);
            return add(e, null);
        }

        private Tar add(TarArchiveEntry e, byte[] content) {
            entries.add(e);
            data.add(content);
            return this;
        }

        byte[] bytes() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                for (int i = 0; i < entries.size(); i++) {
                    tar.putArchiveEntry(entries.get(i));
                    if (data.get(i) != null) {
                        tar.write(data.get(i));
                    }
                    tar.closeArchiveEntry();
                }
            }
            return out.toByteArray();
        }

        Path write(Path dir, String name) throws IOException {
            byte[] b = bytes();
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (lower.endsWith(".gz") || lower.endsWith(".tgz")) {
                b = gzip(b);
            }
            return Files.write(dir.resolve(name), b);
        }
    }

    private static final class Zip {
        private final List<ZipArchiveEntry> entries = new ArrayList<>();
        private final List<byte[]> data = new ArrayList<>();

        Zip file(String name, String content, int unixMode) {
            ZipArchiveEntry e = new ZipArchiveEntry(name);
            if (unixMode != 0) {
                e.setUnixMode(unixMode);
            }
            entries.add(e);
            data.add(content.getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Zip dir(String name) {
            entries.add(new ZipArchiveEntry(name.endsWith("/") ? name : name + "/"));
            data.add(null);
            return this;
        }

        Zip symlink(String name, String target) {
            return file(name, target, 0120777);
        }

        Path write(Path dir, String name) throws IOException {
            Path p = dir.resolve(name);
            try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(p)) {
                for (int i = 0; i < entries.size(); i++) {
                    zip.putArchiveEntry(entries.get(i));
                    if (data.get(i) != null) {
                        zip.write(data.get(i));
                    }
                    zip.closeArchiveEntry();
                }
            }
            return p;
        }
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b);
        }
        return out.toByteArray();
    }

    private Path dest() throws IOException {
        return Files.createTempDirectory(tmp, "dest");
    }

    private Path extract(Path archive) throws IOException {
        return extract(archive, Archives.Limits.DEFAULT);
    }

    private Path extract(Path archive, Archives.Limits limits) throws IOException {
        Path dest = dest();
        Archives.extract(archive, archive.getFileName().toString(), dest, limits);
        return dest;
    }

    /** Extraction must fail with an ArchiveException whose one-line message names the archive and {@code mention}. */
    private ArchiveException refused(Path archive, String mention) {
        return refused(archive, Archives.Limits.DEFAULT, mention);
    }

    private ArchiveException refused(Path archive, Archives.Limits limits, String mention) {
        ArchiveException e = assertThrows(ArchiveException.class, () -> extract(archive, limits));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(archive.getFileName() + ": "), msg);
        assertTrue(msg.contains(mention), msg);
        assertFalse(msg.contains("\n"), msg);
        assertEquals(msg.toLowerCase(java.util.Locale.ROOT).charAt(0), msg.charAt(0), msg);
        return e;
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static Tar normalTree() {
        return new Tar()
                .dir("app", 0755)
                .dir("app/bin", 0755)
                .file("app/bin/run", "#!/bin/sh\necho ran-$1\n", 0755)
                .dir("app/conf/deep/er", 0750)
                .file("app/conf/deep/er/settings.txt", "x=1\n", 0640)
                .symlink("app/bin/start", "run")
                .symlink("app/settings", "conf/deep/er/settings.txt")
                .hardLink("app/bin/run-again", "app/bin/run");
    }

    private void checkNormalTree(Path dest) throws Exception {
        Path run = dest.resolve("app/bin/run");
        assertEquals("rwxr-xr-x", mode(run));
        assertEquals("rw-r-----", mode(dest.resolve("app/conf/deep/er/settings.txt")));
        assertEquals("rwxr-x---", mode(dest.resolve("app/conf/deep/er")));
        assertEquals("x=1\n", Files.readString(dest.resolve("app/settings")));
        assertEquals(Path.of("run"), Files.readSymbolicLink(dest.resolve("app/bin/start")));
        assertTrue(Files.isSameFile(run, dest.resolve("app/bin/run-again")));
        // executable means it runs: what a Go binary in a release needs
        Process p = new ProcessBuilder(dest.resolve("app/bin/start").toString(), "ok").redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals("ran-ok\n", out);
    }

    // ---- what must work ----------------------------------------------------------------------------------------

    @Test
    void extractsTarGz() throws Exception {
        checkNormalTree(extract(normalTree().write(tmp, "app.tar.gz")));
    }

    @Test
    void extractsTgzWithUpperCaseSuffix() throws Exception {
        checkNormalTree(extract(normalTree().write(tmp, "APP.TGZ")));
    }

    @Test
    void extractsPlainTar() throws Exception {
        checkNormalTree(extract(normalTree().write(tmp, "app.tar")));
    }

    @Test
    void extractsDotSlashNamesAndARootEntry() throws Exception {
        Path a = new Tar().dir("./", 0755).dir("./bin", 0755).file("./bin/x", "x", 0644).file("./a//b/./c", "c", 0600)
                .write(tmp, "dots.tar.gz");
        Path dest = extract(a);
        assertEquals("x", Files.readString(dest.resolve("bin/x")));
        assertEquals("c", Files.readString(dest.resolve("a/b/c")));
        assertEquals("rwxr-xr-x", mode(dest.resolve("a")), "implicit directories are 0755");
    }

    @Test
    void extractsZip() throws Exception {
        Path a = new Zip().dir("app/").dir("app/bin/").file("app/bin/run", "#!/bin/sh\necho zip-$1\n", 0100755)
                .file("app/readme.txt", "hi", 0).file("app/secret.txt", "s", 0100600)
                .dir("app/deep/er/").file("app/deep/er/f", "f", 0)
                .symlink("app/bin/start", "run").write(tmp, "app.zip");
        Path dest = extract(a);
        assertEquals("rwxr-xr-x", mode(dest.resolve("app/bin/run")));
        assertEquals("rw-r--r--", mode(dest.resolve("app/readme.txt")), "no unix mode: 0644");
        assertEquals("rw-------", mode(dest.resolve("app/secret.txt")));
        assertEquals("rwxr-xr-x", mode(dest.resolve("app/deep")), "no unix mode: 0755");
        assertEquals("f", Files.readString(dest.resolve("app/deep/er/f")));
        assertEquals(Path.of("run"), Files.readSymbolicLink(dest.resolve("app/bin/start")));
        Process p = new ProcessBuilder(dest.resolve("app/bin/start").toString(), "ok").start();
        assertEquals("zip-ok\n", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, p.waitFor());
    }

    @Test
    void stripsSetuidSetgidAndSticky() throws Exception {
        Path a = new Tar().file("suid", "x", 07755).dir("sticky", 01777).write(tmp, "suid.tar");
        Path dest = extract(a);
        assertEquals("rwxr-xr-x", mode(dest.resolve("suid")));
        int unixMode = (Integer) Files.getAttribute(dest.resolve("suid"), "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertEquals(0755, unixMode & 07777);
        int dirMode = (Integer) Files.getAttribute(dest.resolve("sticky"), "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertEquals(0777, dirMode & 07777);
    }

    @Test
    void directoriesKeepOwnerRwxSoTheirEntriesCanBeWritten() throws Exception {
        Path a = new Tar().dir("ro", 0555).file("ro/f", "f", 0444).dir("none", 0).write(tmp, "ro.tar");
        Path dest = extract(a);
        assertEquals("rwxr-xr-x", mode(dest.resolve("ro")));
        assertEquals("rwx------", mode(dest.resolve("none")));
        assertEquals("r--r--r--", mode(dest.resolve("ro/f")));
    }

    @Test
    void symlinkToDotStaysInside() throws Exception {
        Path dest = extract(new Tar().symlink("self", ".").dir("sub", 0755).symlink("sub/up", "..")
                .symlink("sub/sibling", "../self/sub").write(tmp, "self.tar"));
        assertEquals(Path.of("."), Files.readSymbolicLink(dest.resolve("self")));
        assertEquals(Path.of(".."), Files.readSymbolicLink(dest.resolve("sub/up")));
    }

    @Test
    void hardLinkToAnExtractedFile() throws Exception {
        Path dest = extract(new Tar().file("a/f", "data", 0644).hardLink("g", "./a/f").write(tmp, "hl.tar"));
        assertEquals("data", Files.readString(dest.resolve("g")));
        assertTrue(Files.isSameFile(dest.resolve("a/f"), dest.resolve("g")));
    }

    @Test
    void repeatedDirectoryEntriesMerge() throws Exception {
        Path dest = extract(new Tar().file("d/f", "1", 0644).dir("d", 0700).dir("d", 0750).file("d/g", "2", 0644)
                .write(tmp, "dirs.tar"));
        assertEquals("rwxr-x---", mode(dest.resolve("d")));
        assertTrue(Files.exists(dest.resolve("d/g")));
    }

    // ---- names -------------------------------------------------------------------------------------------------

    @Test
    void refusesDotDot() throws Exception {
        refused(new Tar().file("../x", "x", 0644).write(tmp, "a1.tar.gz"), "entry ../x escapes the release directory");
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void refusesDotDotAfterASegment() throws Exception {
        refused(new Tar().dir("a", 0755).file("a/../../x", "x", 0644).write(tmp, "a2.tar.gz"),
                "entry a/../../x escapes the release directory");
    }

    @Test
    void refusesDotDotEvenWhenItStaysInside() throws Exception {
        refused(new Tar().file("a/../x", "x", 0644).write(tmp, "a3.tar"), "entry a/../x escapes");
    }

    @Test
    void refusesAbsoluteTarName() throws Exception {
        refused(new Tar().file("/etc/x", "x", 0644).write(tmp, "abs.tar.gz"), "entry /etc/x has an absolute name");
    }

    @Test
    void refusesZipSlip() throws Exception {
        refused(new Zip().file("ok", "ok", 0).file("../evil", "x", 0).write(tmp, "slip.zip"),
                "entry ../evil escapes the release directory");
        assertFalse(Files.exists(tmp.resolve("evil")));
    }

    @Test
    void refusesAbsoluteZipName() throws Exception {
        refused(new Zip().file("/tmp/evil", "x", 0).write(tmp, "abs.zip"), "entry /tmp/evil has an absolute name");
    }

    @Test
    void refusesNulInAZipName() throws Exception {
        refused(new Zip().file("a\0b", "x", 0).write(tmp, "nul.zip"), "entry a\\x00b has a NUL in its name");
    }

    @Test
    void refusesNulInAPaxName() throws Exception {
        // a PAX path record can carry any byte (the ustar name field stops at the first NUL): write one by hand
        byte[] record = paxRecord("path", "a\0b");
        TarArchiveEntry pax = new TarArchiveEntry("PaxHeaders/x", TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
        pax.setSize(record.length);
        Tar t = new Tar().add(pax, record).file("placeholder", "x", 0644);
        refused(t.write(tmp, "nul.tar"), "entry a\\x00b has a NUL in its name");
    }

    /** One PAX record: its length (counting itself) in decimal, a space, key=value, a newline. */
    static byte[] paxRecord(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int len = body.length() + 1;
        while (len != String.valueOf(len).length() + body.length()) {
            len = String.valueOf(len).length() + body.length();
        }
        return (len + body).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void refusesDuplicateFile() throws Exception {
        refused(new Tar().file("f", "first", 0644).file("./f", "second", 0644).write(tmp, "dup.tar"),
                "entry ./f already exists");
    }

    @Test
    void refusesAFileBelowAFile() throws Exception {
        refused(new Tar().file("f", "x", 0644).file("f/g", "y", 0644).write(tmp, "below.tar"),
                "entry f/g would be written below the file f");
    }

    // ---- links -------------------------------------------------------------------------------------------------

    @Test
    void refusesSymlinkToAbsolutePath() throws Exception {
        refused(new Tar().symlink("passwd", "/etc/passwd").write(tmp, "l1.tar.gz"),
                "entry passwd is a symlink to the absolute path /etc/passwd");
    }

    @Test
    void refusesSymlinkEscapingUpwards() throws Exception {
        refused(new Tar().dir("a", 0755).symlink("a/link", "../../x").write(tmp, "l2.tar.gz"),
                "entry a/link is a symlink to ../../x, which escapes the release directory");
    }

    @Test
    void refusesSymlinkToParent() throws Exception {
        refused(new Tar().symlink("evil", "..").write(tmp, "l3.tar"), "entry evil is a symlink to ..");
    }

    @Test
    void refusesWritingThroughASymlinkToDot() throws Exception {
        refused(new Tar().symlink("link", ".").file("link/f", "x", 0644).write(tmp, "l4.tar"),
                "entry link/f would be written through the symlink link");
    }

    @Test
    void refusesWritingThroughASymlinkEvenToAnInsideDirectory() throws Exception {
        // decided: no entry goes through a symlink, even one that stays inside (dir-link -> sub)
        refused(new Tar().dir("sub", 0755).symlink("dir-link", "sub").file("dir-link/f", "x", 0644)
                .write(tmp, "l5.tar"), "entry dir-link/f would be written through the symlink dir-link");
    }

    @Test
    void refusesASymlinkOverwritingAFileThroughADirectoryEntry() throws Exception {
        refused(new Tar().symlink("d", "sub").dir("d", 0755).write(tmp, "l6.tar"),
                "entry d/ would be written through the symlink d");
    }

    @Test
    void refusesSymlinkEscapingThroughAnotherSymlink() throws Exception {
        // lexically sub/l/../.. is the root; the kernel resolves l first (to sub), then goes up twice: outside
        refused(new Tar().dir("sub", 0755).symlink("sub/l", ".").symlink("sub/m", "l/../..")
                .write(tmp, "l7.tar"), "entry sub/m is a symlink that escapes the release directory");
        // same, the helper link coming after the one that uses it
        refused(new Tar().dir("sub", 0755).symlink("sub/m", "l/../..").symlink("sub/l", ".")
                .write(tmp, "l8.tar"), "entry sub/m is a symlink that escapes the release directory");
    }

    @Test
    void refusesSymlinkLoop() throws Exception {
        refused(new Tar().symlink("a", "b").symlink("b", "a").write(tmp, "loop.tar"), "loop");
    }

    @Test
    void refusesSymlinkWithAFileInItsPlace() throws Exception {
        refused(new Tar().file("f", "x", 0644).symlink("f", "g").write(tmp, "l9.tar"), "entry f already exists");
    }

    @Test
    void refusesHardLinkOutside() throws Exception {
        refused(new Tar().hardLink("h", "../../etc/passwd").write(tmp, "h1.tar"),
                "entry h is a hard link to ../../etc/passwd, which escapes the release directory");
        refused(new Tar().hardLink("h", "/etc/passwd").write(tmp, "h2.tar"),
                "entry h is a hard link to /etc/passwd, which escapes the release directory");
    }

    @Test
    void refusesHardLinkToAFileNotYetExtracted() throws Exception {
        refused(new Tar().hardLink("h", "later").file("later", "x", 0644).write(tmp, "h3.tar"),
                "entry h is a hard link to later, which is not a file extracted before it");
    }

    @Test
    void refusesHardLinkToADirectoryOrThroughASymlink() throws Exception {
        refused(new Tar().dir("d", 0755).hardLink("h", "d").write(tmp, "h4.tar"), "entry h is a hard link to d");
        refused(new Tar().dir("d", 0755).file("d/f", "x", 0644).symlink("s", "d").hardLink("h", "s/f")
                .write(tmp, "h5.tar"), "entry h is a hard link to s/f");
    }

    // ---- special files -----------------------------------------------------------------------------------------

    @Test
    void refusesCharacterDevice() throws Exception {
        refused(new Tar().special("dev/null", TarConstants.LF_CHR).write(tmp, "chr.tar.gz"),
                "entry dev/null is a character device");
    }

    @Test
    void refusesBlockDevice() throws Exception {
        refused(new Tar().special("sda", TarConstants.LF_BLK).write(tmp, "blk.tar"), "entry sda is a block device");
    }

    @Test
    void refusesFifo() throws Exception {
        refused(new Tar().special("pipe", TarConstants.LF_FIFO).write(tmp, "fifo.tar"), "entry pipe is a fifo");
    }

    @Test
    void refusesZipSpecialFiles() throws Exception {
        refused(new Zip().file("pipe", "", 0010644).write(tmp, "fifo.zip"), "entry pipe is a fifo");
        refused(new Zip().file("tty", "", 0020644).write(tmp, "chr.zip"), "entry tty is a character device");
    }

    @Test
    void refusesZipSymlinkOutside() throws Exception {
        refused(new Zip().symlink("passwd", "/etc/passwd").write(tmp, "l.zip"),
                "entry passwd is a symlink to the absolute path /etc/passwd");
        refused(new Zip().dir("a").symlink("a/up", "../..").write(tmp, "l2.zip"), "entry a/up is a symlink to ../..");
    }

    // ---- limits ------------------------------------------------------------------------------------------------

    @Test
    void refusesMoreBytesThanTheLimit() throws Exception {
        Path a = new Tar().file("small", "x", 0644).file("big.bin", new byte[5000], 0644).write(tmp, "big.tar.gz");
        refused(a, new Archives.Limits(4096, 100), "exceeds the limit of 4096 bytes unpacked at entry big.bin");
        extract(a, new Archives.Limits(5001, 100)); // the limit is the bytes written: 5001 is enough
    }

    @Test
    void countsBytesWrittenNotWhatTheHeaderSays() throws Exception {
        // a zip whose headers claim 10 bytes for what inflates to 1 MiB
        Path p = new Zip().file("bomb", new String(new char[1 << 20]).replace('\0', 'a'), 0).write(tmp, "lie.zip");
        byte[] b = Files.readAllBytes(p);
        int patched = patchZipSizes(b, 10);
        assertEquals(2, patched, "local header and central directory patched");
        Files.write(p, b);
        refused(p, new Archives.Limits(100_000, 100), "exceeds the limit of 100000 bytes unpacked at entry bomb");
        // and under a large limit the lie itself is caught
        refused(p, "entry bomb has 1048576 bytes where its header says 10");
    }

    /** Sets the uncompressed size in every local header and central directory record of a zip. */
    private static int patchZipSizes(byte[] b, int size) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int n = 0;
        for (int i = 0; i + 30 < b.length; i++) {
            int sig = bb.getInt(i);
            if (sig == 0x04034b50) {
                bb.putInt(i + 22, size);
                n++;
            } else if (sig == 0x02014b50) {
                bb.putInt(i + 24, size);
                n++;
            }
        }
        return n;
    }

    @Test
    void refusesMoreEntriesThanTheLimit() throws Exception {
        Tar t = new Tar();
        for (int i = 1; i <= 5; i++) {
            t.file("f" + i, "x", 0644);
        }
        Path a = t.write(tmp, "many.tar");
        refused(a, new Archives.Limits(1 << 20, 4), "exceeds the limit of 4 entries at entry f5");
        extract(a, new Archives.Limits(1 << 20, 5));
    }

    @Test
    void refusesMoreZipEntriesThanTheLimit() throws Exception {
        Path a = new Zip().dir("d").file("d/a", "a", 0).file("d/b", "b", 0).write(tmp, "many.zip");
        // refused from the end record, before any entry is read
        refused(a, new Archives.Limits(1 << 20, 2), "exceeds the limit of 2 entries (its central directory lists 3)");
        extract(a, new Archives.Limits(1 << 20, 3));
    }

    // ---- what is read before anything is held (ArchiveMemoryTest runs the big ones in a 64 MiB heap) -------------

    /** The offset of the last occurrence of a 4-byte little-endian signature. */
    private static int last(byte[] b, int sig) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = b.length - 4; i >= 0; i--) {
            if (bb.getInt(i) == sig) {
                return i;
            }
        }
        throw new AssertionError("no signature " + Integer.toHexString(sig));
    }

    private Path patchedZip(String name, java.util.function.Consumer<ByteBuffer> patch) throws IOException {
        Path p = new Zip().file("a", "a", 0).file("b", "b", 0).file("c", "c", 0).write(tmp, name);
        byte[] b = Files.readAllBytes(p);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        bb.position(last(b, 0x06054b50));
        patch.accept(bb.slice().order(ByteOrder.LITTLE_ENDIAN));
        return Files.write(p, b);
    }

    @Test
    void refusesAZipWhoseEndRecordUndercountsItsEntries() throws Exception {
        // says 2 entries (and the central directory size is right): the third record is not silently dropped
        refused(patchedZip("under.zip", e -> e.putShort(8, (short) 2).putShort(10, (short) 2)),
                "the central directory holds more than the 2 entries its end record lists");
    }

    @Test
    void refusesAZipWhoseCentralDirectoryCannotBeWhatItsEndRecordSays() throws Exception {
        refused(patchedZip("outside.zip", e -> e.putInt(12, 1 << 30)), "central directory outside the file");
        refused(patchedZip("small.zip", e -> e.putInt(12, 100)),
                "a central directory of 100 bytes cannot hold 3 entries");
        refused(patchedZip("counts.zip", e -> e.putShort(8, (short) 1)), "counts 1 and 3 entries");
        refused(patchedZip("disks.zip", e -> e.putShort(4, (short) 1)), "split over several disks");
        refused(patchedZip("nozip64.zip", e -> e.putShort(8, (short) -1).putShort(10, (short) -1)),
                "ZIP64 values without a ZIP64 end of central directory record");
    }

    @Test
    void refusesAZipWithoutAnEndRecord() throws Exception {
        refused(Files.write(tmp.resolve("none.zip"), new byte[100]), "no end of central directory record");
        refused(Files.write(tmp.resolve("tiny.zip"), new byte[5]), "no end of central directory record");
    }

    @Test
    void extractsAZip64Archive() throws Exception {
        Path p = tmp.resolve("z64.zip");
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(p)) {
            zip.setUseZip64(org.apache.commons.compress.archivers.zip.Zip64Mode.Always);
            ZipArchiveEntry e = new ZipArchiveEntry("bin/run");
            e.setUnixMode(0100755);
            zip.putArchiveEntry(e);
            zip.write("#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));
            zip.closeArchiveEntry();
        }
        Path dest = extract(p);
        assertEquals("#!/bin/sh\n", Files.readString(dest.resolve("bin/run")));
        assertEquals("rwxr-xr-x", mode(dest.resolve("bin/run")));
    }

    @Test
    void extractsStoredAndBzip2ZipEntriesAndKeepsTheirTime() throws Exception {
        byte[] plain = "hello, bzip2\n".repeat(100).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bz = new ByteArrayOutputStream();
        try (OutputStream out = new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(bz)) {
            out.write(plain);
        }
        Path p = tmp.resolve("methods.zip");
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(p)) {
            ZipArchiveEntry e = new ZipArchiveEntry("stored");
            e.setMethod(ZipArchiveEntry.STORED);
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(plain);
            e.setSize(plain.length);
            e.setCrc(crc.getValue());
            e.setLastModifiedTime(java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L));
            zip.putArchiveEntry(e);
            zip.write(plain);
            zip.closeArchiveEntry();
            // bzip2: commons-compress writes no bzip2 zips, so the compressed bytes go in as a raw entry
            ZipArchiveEntry b = new ZipArchiveEntry("bzipped");
            b.setMethod(12);
            b.setSize(plain.length);
            b.setCompressedSize(bz.size());
            b.setCrc(crc.getValue());
            zip.addRawArchiveEntry(b, new java.io.ByteArrayInputStream(bz.toByteArray()));
        }
        Path dest = extract(p);
        assertArrayEquals(plain, Files.readAllBytes(dest.resolve("stored")));
        assertArrayEquals(plain, Files.readAllBytes(dest.resolve("bzipped")));
        assertEquals(1_700_000_000_000L, Files.getLastModifiedTime(dest.resolve("stored")).toMillis());
    }

    @Test
    void refusesEncryptedAndUnknownZipMethods() throws Exception {
        Path enc = new Zip().file("secret", "s", 0).write(tmp, "enc.zip");
        byte[] b = Files.readAllBytes(enc);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int cen = last(b, 0x02014b50);
        bb.putShort(cen + 8, (short) (bb.getShort(cen + 8) | 1));
        Files.write(enc, b);
        refused(enc, "entry secret uses encryption or a compression method not supported");
        bb.putShort(cen + 8, (short) (bb.getShort(cen + 8) & ~1));
        bb.putShort(cen + 10, (short) 14); // LZMA
        Files.write(enc, b);
        refused(enc, "entry secret uses encryption or a compression method not supported (method 14)");
    }

    @Test
    void refusesANameLongerThanPathMax() throws Exception {
        String name = "d/".repeat(2100) + "f";
        refused(new Tar().file(name, "x", 0644).write(tmp, "long.tar"), "has a name of 4201 characters (at most 4096)");
        refused(new Zip().file(name, "x", 0).write(tmp, "long.zip"), "has a name of 4201 characters");
    }

    @Test
    void extractsGnuLongNamesButRefusesHeadersOverTheirBound() throws Exception {
        String name = ("n".repeat(200) + "/").repeat(3) + "f";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(1);
            tar.putArchiveEntry(e);
            tar.write('x');
            tar.closeArchiveEntry();
        }
        Path ok = Files.write(tmp.resolve("gnu.tar"), out.toByteArray());
        assertEquals("x", Files.readString(extract(ok).resolve(name)));

        byte[] big = paxRecord("comment", "c".repeat(70_000)); // one PAX header over 64 KiB
        TarArchiveEntry pax = new TarArchiveEntry("PaxHeaders/x", TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
        pax.setSize(big.length);
        refused(new Tar().file("first", "1", 0644).add(pax, big).file("second", "2", 0644).write(tmp, "pax.tar.gz"),
                "the headers of the entry after first (long names, PAX records, sparse maps) exceed 65536 bytes");
    }

    // ---- damaged archives --------------------------------------------------------------------------------------

    @Test
    void refusesCorruptGzip() throws Exception {
        Path a = Files.write(tmp.resolve("bad.tar.gz"), "this is not gzip at all".getBytes(StandardCharsets.UTF_8));
        refused(a, "bad.tar.gz: corrupt or truncated archive");
    }

    @Test
    void refusesTruncatedTar() throws Exception {
        byte[] whole = new Tar().file("first", "1", 0644).file("data.bin", new byte[20_000], 0644).bytes();
        Path a = Files.write(tmp.resolve("cut.tar"), Arrays.copyOf(whole, 512 * 3 + 5_000));
        refused(a, "data.bin");
    }

    @Test
    void refusesTruncatedTarGz() throws Exception {
        byte[] payload = new byte[200_000];
        new java.util.Random(1).nextBytes(payload); // incompressible, so a cut lands inside the data
        byte[] gz = gzip(new Tar().file("data.bin", payload, 0644).bytes());
        Path a = Files.write(tmp.resolve("cut.tar.gz"), Arrays.copyOf(gz, gz.length / 2));
        refused(a, "cut.tar.gz: corrupt or truncated archive");
    }

    @Test
    void refusesTarGzWithOnlyItsGzipTrailerCut() throws Exception {
        // the tar itself is complete and followed by padding: only reading gzip to its end (CRC, length) notices
        byte[] tar = new Tar().file("f", "x", 0644).bytes();
        byte[] gz = gzip(Arrays.copyOf(tar, tar.length + 100_000));
        Path a = Files.write(tmp.resolve("trailer.tar.gz"), Arrays.copyOf(gz, gz.length - 4));
        refused(a, "trailer.tar.gz: corrupt or truncated archive");
    }

    @Test
    void countsWhatFollowsTheEndOfTheTarInsideGzip() throws Exception {
        byte[] tar = new Tar().file("f", "x", 0644).bytes();
        Path a = Files.write(tmp.resolve("tail.tar.gz"), gzip(Arrays.copyOf(tar, tar.length + 2_000_000)));
        refused(a, new Archives.Limits(1_000_000, 100), "exceeds the limit of 1000000 bytes unpacked");
        extract(a, new Archives.Limits(3_000_000, 100));
    }

    @Test
    void refusesCorruptZip() throws Exception {
        byte[] zip = Files.readAllBytes(new Zip().file("f", "x".repeat(1000), 0).write(tmp, "tmp.zip"));
        Path a = Files.write(tmp.resolve("cut.zip"), Arrays.copyOf(zip, zip.length - 30));
        refused(a, "cut.zip: corrupt or truncated archive");
    }

    @Test
    void refusesZipWithABadCrc() throws Exception {
        Path p = new Zip().file("f", "hello", 0).write(tmp, "crc.zip");
        byte[] b = Files.readAllBytes(p);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 20 < b.length; i++) {
            if (bb.getInt(i) == 0x02014b50) {
                bb.putInt(i + 16, bb.getInt(i + 16) ^ 1); // central directory crc-32
            }
        }
        Files.write(p, b);
        refused(p, "entry f fails its crc check");
    }

    @Test
    void refusesUnsupportedType() throws Exception {
        Path a = Files.write(tmp.resolve("app.rar"), new byte[10]);
        refused(a, "app.rar: unsupported archive type");
        Path b = Files.write(tmp.resolve("app.gz"), gzip(new byte[10]));
        refused(b, "app.gz: unsupported archive type");
    }

    // ---- the contract around it --------------------------------------------------------------------------------

    @Test
    void refusesANonEmptyDestination() throws Exception {
        Path a = new Tar().file("f", "x", 0644).write(tmp, "f.tar");
        Path dest = dest();
        Files.writeString(dest.resolve("existing"), "keep");
        IOException e = assertThrows(IOException.class, () -> Archives.extract(a, "f.tar", dest,
                Archives.Limits.DEFAULT));
        assertFalse(e instanceof ArchiveException);
        assertEquals("keep", Files.readString(dest.resolve("existing")));
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    void honoursInterrupts() throws Exception {
        Path a = normalTree().write(tmp, "int.tar.gz");
        Path dest = dest();
        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedIOException.class, () -> Archives.extract(a, "int.tar.gz", dest,
                    Archives.Limits.DEFAULT));
            assertTrue(Thread.currentThread().isInterrupted(), "the flag stays set");
        } finally {
            Thread.interrupted();
        }
        assertFalse(Files.exists(dest.resolve("app/bin/run")));
    }

    @Test
    void leavesNoFileHandlesOpenOnRefusal() throws Exception {
        Path slip = new Tar().file("ok", "x", 0644).file("../x", "x", 0644).write(tmp, "slip.tar.gz");
        Path bad = Files.write(tmp.resolve("bad.tgz"), gzip("garbage that is not a tar header".repeat(40)
                .getBytes(StandardCharsets.UTF_8)));
        Path zip = new Zip().file("ok", "x", 0).file("../evil", "x", 0).write(tmp, "slip.zip");
        Path big = new Tar().file("big", new byte[100_000], 0644).write(tmp, "big.tar");
        int before = openFds();
        for (int i = 0; i < 25; i++) {
            for (Path a : List.of(slip, bad, zip, big)) {
                Path dest = dest();
                assertThrows(ArchiveException.class, () -> Archives.extract(a, a.getFileName().toString(), dest,
                        new Archives.Limits(50_000, 100)));
            }
        }
        // 100 refusals: a leak per archive would show as dozens; allow a little for the JVM's own activity
        assertTrue(openFds() <= before + 5, "open fds went from " + before + " to " + openFds());
    }

    private static int openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }

    @Test
    void writesNothingOutsideTheDestination() throws Exception {
        Path a = new Tar().dir("sub", 0755).symlink("sub/l", ".").symlink("sub/m", "l/../..")
                .file("../../sibling", "x", 0644).write(tmp, "mixed.tar");
        Path before = Files.createDirectories(tmp.resolve("watch"));
        assertThrows(ArchiveException.class, () -> extract(a));
        try (var s = Files.list(tmp)) {
            assertArrayEquals(new String[0], s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("dest") && !n.equals("mixed.tar") && !n.equals("watch"))
                    .toArray(String[]::new));
        }
        try (var s = Files.list(before)) {
            assertEquals(0, s.count());
        }
    }
}
