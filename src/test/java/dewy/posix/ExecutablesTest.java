package dewy.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutablesTest {
    @TempDir
    Path tmp;
    Path cwd;
    Path first;
    Path second;

    @BeforeEach
    void dirs() throws IOException {
        cwd = Files.createDirectory(tmp.resolve("cwd"));
        first = Files.createDirectory(tmp.resolve("first"));
        second = Files.createDirectory(tmp.resolve("second"));
    }

    private static Path file(Path p, String perms) throws IOException {
        Files.writeString(p, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    private SpawnException problem(String command, String path) {
        Optional<SpawnException> p = Executables.check(command, path, cwd);
        assertTrue(p.isPresent(), command + " should not start");
        return p.get();
    }

    private static void assertNotFound(SpawnException e, String path) {
        assertTrue(e.notFound());
        assertEquals(Posix.ENOENT, e.errno());
        assertEquals(127, e.exitCode());
        assertEquals(path, e.path());
        assertEquals(path + ": not found (no such file or directory)", e.describe());
    }

    private static void assertNotExecutable(SpawnException e, String path) {
        assertFalse(e.notFound());
        assertEquals(Posix.EACCES, e.errno());
        assertEquals(126, e.exitCode());
        assertEquals(path, e.path());
        assertEquals(path + ": not executable (permission denied)", e.describe());
    }

    @Test
    void absolutePathMissing() {
        String missing = tmp.resolve("nope/app").toString();
        assertNotFound(problem(missing, "/irrelevant"), missing);
    }

    @Test
    void absolutePathIsADirectory() {
        assertNotExecutable(problem(first.toString(), null), first.toString());
    }

    @Test
    void absolutePathNotExecutable() throws IOException {
        Path f = file(tmp.resolve("plain"), "rw-r--r--");
        assertNotExecutable(problem(f.toString(), null), f.toString());
    }

    @Test
    void absolutePathExecutable() throws IOException {
        Path f = file(tmp.resolve("app"), "rwxr-xr-x");
        assertEquals(Optional.empty(), Executables.check(f.toString(), "", cwd));
    }

    @Test
    void relativePathWithSlashResolvesAgainstCwd() throws IOException {
        file(cwd.resolve("app"), "rwx------");
        assertEquals(Optional.empty(), Executables.check("./app", first.toString(), cwd));
        assertNotFound(problem("./other", cwd.toString()), "./other");
        // a name with a slash is never searched in PATH
        file(first.resolve("tool"), "rwxr-xr-x");
        Files.createDirectory(cwd.resolve("sub"));
        assertNotFound(problem("sub/tool", first.toString()), "sub/tool");
    }

    @Test
    void bareNameFoundInALaterPathEntry() throws IOException {
        file(second.resolve("app"), "rwxr-xr-x");
        assertEquals(Optional.empty(), Executables.check("app", first + ":" + second, cwd));
    }

    @Test
    void executableLaterInPathBeatsANonExecutableEarlier() throws IOException {
        file(first.resolve("app"), "rw-r--r--");
        file(second.resolve("app"), "rwxr-xr-x");
        assertEquals(Optional.empty(), Executables.check("app", first + ":" + second, cwd));
    }

    @Test
    void onlyANonExecutableMatch() throws IOException {
        file(second.resolve("app"), "rw-r--r--");
        assertNotExecutable(problem("app", first + ":" + second), "app");
    }

    @Test
    void onlyADirectoryMatch() throws IOException {
        Files.createDirectory(second.resolve("app"));
        assertNotExecutable(problem("app", first + ":" + second), "app");
    }

    @Test
    void noMatch() {
        SpawnException e = problem("app", first + ":" + second);
        assertNotFound(e, "app");
        assertTrue(e.describe().contains("app") && e.describe().contains("not found"));
    }

    @Test
    void emptyPathEntryMeansCwd() throws IOException {
        file(cwd.resolve("app"), "rwxr-xr-x");
        assertEquals(Optional.empty(), Executables.check("app", first + "::" + second, cwd));
        assertEquals(Optional.empty(), Executables.check("app", first + ":", cwd));
        assertEquals(Optional.empty(), Executables.check("app", ":" + first, cwd));
        assertEquals(Optional.empty(), Executables.check("app", "", cwd));
        assertNotFound(problem("app", first + ":" + second), "app");
    }

    @Test
    void relativePathEntryResolvesAgainstCwd() throws IOException {
        Files.createDirectory(cwd.resolve("bin"));
        file(cwd.resolve("bin/app"), "rwxr-xr-x");
        assertEquals(Optional.empty(), Executables.check("app", "bin", cwd));
    }

    @Test
    void emptyCommand() {
        SpawnException e = problem("", first.toString());
        assertEquals(127, e.exitCode());
        assertTrue(e.notFound());
    }

    @Test
    void nullPathUsesTheDefaultSearchPath() {
        assertNotFound(problem("dewy-no-such-command-8f3a1c", null), "dewy-no-such-command-8f3a1c");
    }

    @Test
    void spawnExceptionExitCodesByErrno() {
        assertEquals(127, new SpawnException("x", Posix.ENOTDIR, "not a directory").exitCode());
        assertEquals(127, new SpawnException("x", Posix.ELOOP, "too many levels").exitCode());
        assertEquals(127, new SpawnException("x", Posix.ENAMETOOLONG, "file name too long").exitCode());
        assertEquals(126, new SpawnException("x", Posix.ENOEXEC, "exec format error").exitCode());
        assertEquals(126, new SpawnException("x", Posix.EPERM, "operation not permitted").exitCode());
        SpawnException e = new SpawnException("/etc", Posix.EACCES, "permission denied");
        assertEquals("/etc: permission denied", e.getMessage());
        assertEquals("/etc: not executable (permission denied)", e.describe());
        assertTrue(e.commandProblem());
    }

    /** What the retry policy builds on: a spawn that failed for the system's reasons is not the command's fault. */
    @Test
    void spawnFailuresThatAreNotTheCommandsGive125AndSaySo() {
        for (int errno : new int[] {Posix.EMFILE, Posix.EAGAIN, 12 /* ENOMEM */, 22 /* EINVAL */}) {
            SpawnException e = new SpawnException("/app", errno, "reason");
            assertFalse(e.commandProblem(), "errno " + errno);
            assertEquals(125, e.exitCode(), "errno " + errno);
        }
        SpawnException e = new SpawnException("/app", Posix.EMFILE, "too many open files");
        assertEquals("spawn failed: /app: too many open files (not a problem of the command)", e.describe());
        SpawnException attr = SpawnException.system("posix_spawnattr_setsigmask", "invalid argument");
        assertFalse(attr.commandProblem());
        assertEquals(125, attr.exitCode());
        assertEquals("spawn failed: posix_spawnattr_setsigmask: invalid argument (not a problem of the command)",
                attr.describe());
        for (int errno : new int[] {Posix.ENOENT, Posix.EACCES, Posix.ENOEXEC, Posix.ETXTBSY, Posix.E2BIG}) {
            assertTrue(new SpawnException("/app", errno, "reason").commandProblem(), "errno " + errno);
        }
    }
}
