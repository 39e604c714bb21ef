package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReleasesTest {
    @TempDir
    Path tmp;

    /** A clock the test moves. */
    private static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-11-25T19:32:50Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance() {
            now = now.plus(Duration.ofMinutes(1));
        }
    }

    private final TestClock clock = new TestClock();

    private Releases releases() {
        return new Releases(tmp.resolve("work"), clock);
    }

    private static Path release(Releases r, String tag) throws IOException {
        Path staged = r.stage(tag);
        Files.writeString(staged.resolve("app"), tag);
        return r.commit(staged, tag);
    }

    @Test
    void stagesAHiddenEmptyDirectoryInReleases() throws Exception {
        Releases r = releases();
        Path staged = r.stage("v1.2.3");
        assertEquals(tmp.resolve("work/releases"), staged.getParent());
        assertTrue(staged.getFileName().toString().startsWith(".staging-v1.2.3-"), staged.toString());
        try (var s = Files.list(staged)) {
            assertEquals(0, s.count());
        }
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(staged)));
        assertTrue(!staged.equals(r.stage("v1.2.3")), "each stage is a new directory");
    }

    @Test
    void commitNamesByTagAndUtcTimeWithSuffixesOnAClash() throws Exception {
        Releases r = releases();
        Path first = release(r, "v1.2.3");
        assertEquals(tmp.resolve("work/releases/v1.2.3_20261125T193250Z"), first);
        assertEquals("v1.2.3", Files.readString(first.resolve("app")));
        assertEquals("v1.2.3_20261125T193250Z-2", release(r, "v1.2.3").getFileName().toString());
        assertEquals("v1.2.3_20261125T193250Z-3", release(r, "v1.2.3").getFileName().toString());
        assertTrue(Files.exists(first.resolve("app")), "the first release is untouched");
        try (var s = Files.list(r.releasesDir())) {
            assertEquals(3, s.count(), "the staging directories are gone: renamed");
        }
    }

    @Test
    void commitUsesTheClockInUtc() throws Exception {
        Releases r = new Releases(tmp.resolve("w"), Clock.fixed(Instant.parse("2027-01-02T03:04:05Z"),
                ZoneId.of("Asia/Tokyo")));
        assertEquals("t_20270102T030405Z", release(r, "t").getFileName().toString());
    }

    @Test
    void commitRefusesWhatWasNotStaged() throws Exception {
        Releases r = releases();
        Path other = Files.createDirectories(tmp.resolve("elsewhere/.staging-x-1"));
        assertThrows(IOException.class, () -> r.commit(other, "x"));
        Path release = release(r, "v1");
        assertThrows(IOException.class, () -> r.commit(release, "v2"));
        assertTrue(Files.isDirectory(release));
    }

    @Test
    void tagsThatAreNotSafeFileNamesRoundTrip() throws Exception {
        Releases r = releases();
        for (String tag : List.of("release/1.2", "../../etc", ".hidden", "v1_with_underscores", "π 1%")) {
            Path release = release(r, tag);
            assertEquals(r.releasesDir(), release.getParent(), tag);
            assertFalse(release.getFileName().toString().startsWith("."), tag);
            assertEquals(tag, Releases.tagOf(release));
            r.swap(release);
            assertEquals(tag, r.currentTag());
            clock.advance();
        }
        assertEquals("release%2F1.2", Releases.encodeTag("release/1.2"));
        assertThrows(IllegalArgumentException.class, () -> r.stage(""));
        assertThrows(IllegalArgumentException.class, () -> r.stage("x".repeat(300)));
    }

    @Test
    void tagOfParsesTheName() {
        assertEquals("v1.2.3", Releases.tagOf(Path.of("/w/releases/v1.2.3_20261125T193250Z")));
        assertEquals("v1_2", Releases.tagOf(Path.of("v1_2_20261125T193250Z-2")));
        assertNull(Releases.tagOf(Path.of("v1.2.3")));
        assertNull(Releases.tagOf(Path.of("v1.2.3_2026")));
        assertNull(Releases.tagOf(Path.of(".staging-v1_20261125T193250Z")));
        assertNull(Releases.tagOf(Path.of("bad%zz_20261125T193250Z")));
        assertNull(Releases.tagOf(Path.of("/")));
    }

    @Test
    void swapPointsCurrentAtTheReleaseWithARelativeLinkAndReturnsThePrevious() throws Exception {
        Releases r = releases();
        assertNull(r.currentTarget());
        assertNull(r.currentTag());
        Path v1 = release(r, "v1");
        clock.advance();
        Path v2 = release(r, "v2");

        assertNull(r.swap(v1));
        assertEquals(Path.of("releases/v1_20261125T193250Z"), Files.readSymbolicLink(r.current()));
        assertEquals(v1, r.currentTarget());
        assertEquals("v1", r.currentTag());
        assertEquals("v1", Files.readString(r.current().resolve("app")));

        assertEquals(v1, r.swap(v2));
        assertEquals("v2", r.currentTag());
        assertEquals("v2", Files.readString(r.current().resolve("app")));
        try (var s = Files.list(r.workdir())) {
            assertEquals(2, s.count(), "releases/ and current, no temporary link left: " + r.workdir());
        }
    }

    @Test
    void theLinkSurvivesMovingTheWorkDirectory() throws Exception {
        Releases r = releases();
        r.swap(release(r, "v1"));
        Path moved = Files.move(r.workdir(), tmp.resolve("mounted-elsewhere"));
        assertEquals("v1", Files.readString(moved.resolve("current/app")));
        assertEquals("v1", new Releases(moved, clock).currentTag());
    }

    @Test
    void swapRefusesSomethingThatIsNotARelease() throws Exception {
        Releases r = releases();
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        assertThrows(IOException.class, () -> r.swap(outside));
        Path staged = r.stage("v1");
        assertThrows(IOException.class, () -> r.swap(staged));
        assertThrows(IOException.class, () -> r.swap(r.releasesDir().resolve("missing_20261125T193250Z")));
        Path link = Files.createSymbolicLink(r.releasesDir().resolve("link_20261125T193250Z"), outside);
        assertThrows(IOException.class, () -> r.swap(link));
        assertFalse(Files.exists(r.current(), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void swapNeverLeavesCurrentMissing() throws Exception {
        Releases r = releases();
        Path v1 = release(r, "v1");
        clock.advance();
        Path v2 = release(r, "v2");
        r.swap(v1);
        AtomicLong checks = new AtomicLong();
        AtomicLong missing = new AtomicLong();
        Thread reader = new Thread(() -> {
            Path current = r.current();
            for (int i = 0; i < 50_000_000 && !Thread.currentThread().isInterrupted(); i++) { // bounded
                if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
                    missing.incrementAndGet();
                }
                checks.incrementAndGet();
            }
        });
        reader.start();
        try {
            while (checks.get() < 100) {
                Thread.onSpinWait(); // the reader is running before the first swap
            }
            for (int i = 0; i < 200; i++) {
                r.swap(i % 2 == 0 ? v2 : v1);
            }
        } finally {
            reader.interrupt();
            reader.join(10_000);
        }
        assertEquals(0, missing.get(), "current was missing in " + missing + " of " + checks + " checks");
        assertTrue(checks.get() > 200, "the reader ran: " + checks);
        assertEquals(v1, r.currentTarget());
    }

    @Test
    void restorePutsBackThePreviousOrRemovesCurrent() throws Exception {
        Releases r = releases();
        Path v1 = release(r, "v1");
        clock.advance();
        Path v2 = release(r, "v2");
        Path none = r.swap(v1);
        Path previous = r.swap(v2);
        r.restore(previous);
        assertEquals(v1, r.currentTarget());
        r.restore(none);
        assertFalse(Files.exists(r.current(), LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.isDirectory(v1), "restore never deletes a release");
        r.restore(null); // nothing to remove: fine
    }

    @Test
    void refusesToReplaceACurrentThatIsNotASymlink() throws Exception {
        Releases r = releases();
        Path v1 = release(r, "v1");
        Path data = Files.createDirectories(r.current());
        Files.writeString(data.resolve("precious"), "user data");
        IOException e = assertThrows(IOException.class, () -> r.swap(v1));
        assertTrue(e.getMessage().contains("is a directory, not a symlink"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(IOException.class, () -> r.restore(null));
        assertEquals("user data", Files.readString(data.resolve("precious")));
        assertNull(r.currentTarget());

        Files.delete(data.resolve("precious"));
        Files.delete(data);
        Files.writeString(r.current(), "a file");
        e = assertThrows(IOException.class, () -> r.swap(v1));
        assertTrue(e.getMessage().contains("is a file, not a symlink"), e.getMessage());
        assertEquals("a file", Files.readString(r.current()));
    }

    @Test
    void pruneKeepsTheNewestAndWhatIsCurrentOrProtected() throws Exception {
        Releases r = releases();
        Path[] rel = new Path[6];
        String[] tags = {"z-oldest", "y", "x", "w", "b", "a-newest"}; // names sort the other way round from time
        for (int i = 0; i < rel.length; i++) {
            rel[i] = release(r, tags[i]);
            clock.advance();
        }
        r.swap(rel[0]);
        Path notOurs = Files.createDirectories(r.releasesDir().resolve("notes"));
        Path staged = r.stage("in-flight");

        List<Path> deleted = r.prune(2, Set.of(rel[2]));

        assertEquals(Set.of(rel[1], rel[3]), Set.copyOf(deleted));
        for (int i : new int[] {0, 2, 4, 5}) {
            assertTrue(Files.isDirectory(rel[i]), "kept " + rel[i]);
        }
        assertFalse(Files.exists(rel[1]));
        assertFalse(Files.exists(rel[3]));
        assertTrue(Files.isDirectory(notOurs), "not named like a release: not ours to delete");
        assertTrue(Files.isDirectory(staged), "staging is cleanStaging's business");
        assertEquals(List.of(), r.prune(2, Set.of(rel[2])), "nothing more to do");
    }

    @Test
    void pruneProtectsAReleaseNamedThroughAnotherPath() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("real"));
        Path alias = Files.createSymbolicLink(tmp.resolve("alias"), real);
        Releases r = new Releases(real, clock);
        Path old = release(r, "old");
        clock.advance();
        release(r, "new");
        List<Path> deleted = r.prune(1, Set.of(alias.resolve("releases").resolve(old.getFileName())));
        assertEquals(List.of(), deleted);
        assertTrue(Files.isDirectory(old));
    }

    @Test
    void pruneDeletesLinksInsideAReleaseWithoutFollowingThem() throws Exception {
        Releases r = releases();
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path precious = Files.writeString(outside.resolve("precious"), "keep me");
        Path old = release(r, "old");
        Files.createDirectories(old.resolve("deep"));
        Files.createSymbolicLink(old.resolve("deep/file-link"), precious);
        Files.createSymbolicLink(old.resolve("dir-link"), outside);
        clock.advance();
        r.swap(release(r, "new"));

        assertEquals(List.of(old), r.prune(1, Set.of()));

        assertFalse(Files.exists(old, LinkOption.NOFOLLOW_LINKS));
        assertEquals("keep me", Files.readString(precious));
        try (var s = Files.list(outside)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void pruneNeedsToKeepOne() {
        Releases r = releases();
        assertThrows(IllegalArgumentException.class, () -> r.prune(0, Set.of()));
    }

    @Test
    void pruneWithoutReleasesDirectory() throws Exception {
        assertEquals(List.of(), releases().prune(3, Set.of()));
    }

    @Test
    void cleanStagingRemovesWhatAnAbandonedDeployLeft() throws Exception {
        Releases r = releases();
        Path v1 = release(r, "v1");
        r.swap(v1);
        Path s1 = r.stage("v2");
        Files.createDirectories(s1.resolve("half/unpacked"));
        Files.createSymbolicLink(s1.resolve("half/link"), tmp); // deleted, not followed
        Path s2 = r.stage("v3");
        Path tmpLink = Files.createSymbolicLink(r.workdir().resolve(".current.tmp-0123abcd"), Path.of("releases/x"));
        Path userFile = Files.writeString(r.workdir().resolve(".current.tmp-not-a-link"), "not ours");

        r.cleanStaging();

        assertFalse(Files.exists(s1, LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(s2, LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(tmpLink, LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.exists(userFile));
        assertTrue(Files.isDirectory(tmp), "the staged link's target survives");
        assertEquals(v1, r.currentTarget());
        assertTrue(Files.isDirectory(v1));
        releases().cleanStaging(); // idempotent
        new Releases(tmp.resolve("never-created"), clock).cleanStaging();
    }

    // ---- durability -------------------------------------------------------------------------------------------

    /**
     * Records each fsync with what the work directory looked like at that moment: whether the staging directory
     * was still there (the rename had not happened) and where current pointed.
     */
    private static final class Recorder implements Releases.Sync {
        final List<String> calls = new java.util.ArrayList<>();
        Path staged;
        Path workdir;

        @Override
        public void file(Path file) throws IOException {
            Releases.Sync.DISK.file(file); // really synced too: the mode fallbacks must work
            calls.add("file " + where(file));
        }

        @Override
        public void directory(Path dir) {
            calls.add("dir " + where(dir));
        }

        private String where(Path p) {
            String state = staged != null && Files.isDirectory(staged) ? " (staged)" : "";
            Path current = workdir.resolve("current");
            String link = "";
            if (Files.isSymbolicLink(current)) {
                try {
                    link = " current=" + Files.readSymbolicLink(current).getFileName();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
            return workdir.relativize(p) + state + link;
        }
    }

    @Test
    void commitFsyncsEveryFileAndDirectoryThenRenamesThenFsyncsReleases() throws Exception {
        Recorder rec = new Recorder();
        Releases r = new Releases(tmp.resolve("work"), clock, rec);
        rec.workdir = r.workdir();
        Path staged = r.stage("v1");
        rec.staged = staged;
        String s = r.workdir().relativize(staged).toString();
        Files.createDirectories(staged.resolve("bin/deep"));
        Files.writeString(staged.resolve("bin/app"), "app");
        Files.writeString(staged.resolve("bin/deep/lib"), "lib");
        Files.writeString(staged.resolve("unreadable"), "0");
        Files.setPosixFilePermissions(staged.resolve("unreadable"), Set.of()); // mode 0: synced all the same
        Files.createLink(staged.resolve("hard"), staged.resolve("bin/app"));
        Files.createSymbolicLink(staged.resolve("link"), Path.of("/etc/passwd")); // a link's target is never opened

        Path release = r.commit(staged, "v1");

        List<String> files = rec.calls.stream().filter(c -> c.startsWith("file ")).sorted().toList();
        assertEquals(List.of("file " + s + "/bin/app (staged)", "file " + s + "/bin/deep/lib (staged)",
                "file " + s + "/hard (staged)", "file " + s + "/unreadable (staged)"), files);
        List<String> dirs = rec.calls.stream().filter(c -> c.startsWith("dir ")).toList();
        assertEquals(List.of("dir " + s + "/bin/deep (staged)", "dir " + s + "/bin (staged)", "dir " + s + " (staged)",
                "dir releases"), dirs, "below first, the staged directory last, then releases/ after the rename");
        int lastFile = 0;
        for (int i = 0; i < rec.calls.size(); i++) {
            if (rec.calls.get(i).startsWith("file ")) {
                lastFile = i;
            }
        }
        assertTrue(lastFile < rec.calls.indexOf("dir " + s + " (staged)"), "files before their directories: " + rec.calls);
        assertEquals("dir releases", rec.calls.get(rec.calls.size() - 1), rec.calls.toString());
        assertEquals("---------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                release.resolve("unreadable"))), "the mode is back");

        rec.calls.clear();
        rec.staged = null;
        r.swap(release);
        assertEquals(List.of("dir  current=" + release.getFileName()), rec.calls,
                "the work directory, once current names the new release");
        rec.calls.clear();
        r.restore(null);
        assertEquals(List.of("dir "), rec.calls, "removing current is synced too");
    }

    @Test
    void aFileThatCannotBeSyncedFailsTheCommitAndNothingIsRenamed() throws Exception {
        Releases r = new Releases(tmp.resolve("work"), clock, new Releases.Sync() {
            @Override
            public void file(Path file) throws IOException {
                throw new IOException(file.getFileName() + ": Input/output error");
            }

            @Override
            public void directory(Path dir) {
            }
        });
        Path staged = r.stage("v1");
        Files.writeString(staged.resolve("app"), "app");
        IOException e = assertThrows(IOException.class, () -> r.commit(staged, "v1"));
        assertEquals("app: Input/output error", e.getMessage());
        assertTrue(Files.isDirectory(staged), "still staged, for the caller to delete");
        try (var list = Files.list(r.releasesDir())) {
            assertEquals(1, list.count());
        }
    }
}
