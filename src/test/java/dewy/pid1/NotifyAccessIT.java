package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each generation's NOTIFY_SOCKET is reachable by an application that dropped its privileges (gosu, setpriv), and
 * dewy takes a datagram only from that generation (systemd's NotifyAccess=all for one service): its main process,
 * its process group, or its descendants, as SCM_CREDENTIALS name the sender.
 */
class NotifyAccessIT {
    @TempDir
    Path tmp;

    /** A directory the application can write to once it runs as nobody (the test's own is root's alone). */
    private static Path shared() throws IOException {
        Path dir = Files.createTempDirectory("dewy-notify-access");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return dir;
    }

    private static void delete(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    private static String uid(int pid) {
        return Dewy.read(Path.of("/proc", Integer.toString(pid), "status")).lines()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElse("gone");
    }

    @Test
    void anApplicationThatDroppedItsPrivilegesGatesTheSwapWithReady1() throws Exception {
        Path shared = shared();
        Path file = shared.resolve("gen");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + StarterIT.freePort(), "--ready",
                "notify", "--", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", TestApp.path(),
                "generation", file.toString(), "1500")) {
            dewy.awaitStarted();
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            dewy.awaitLog("msg=\"generation ready\" generation=1", 1, Duration.ofSeconds(5));
            dewy.signal(Signals.SIGUSR1);
            Dewy.await("generation 2 to start", Duration.ofSeconds(10), () -> !StarterIT.of(file, 2).isEmpty());
            int pid2 = dewy.children().stream().filter(p -> !uid(p).equals("gone")).reduce((a, b) -> b).orElseThrow();
            assertTrue(uid(pid2).matches("Uid:\\s+65534\\s+65534\\s+65534\\s+65534"), uid(pid2));
            Dewy.sleep(800);
            assertFalse(StarterIT.of(file, 1).contains("sig 15"), "generation 1 serves until 2 says READY=1");
            Dewy.awaitLines(file, "1 sig 15", 1, Duration.ofSeconds(30)); // READY=1 comes 1.5 s in; CI's load is high
            List<String> all = Dewy.lines(file);
            assertTrue(all.indexOf("2 ready") < all.indexOf("1 sig 15"), "READY=1 first, then TERM to 1: " + all);
            dewy.awaitLog("msg=restarted generation=2", 1, Duration.ofSeconds(5));
            assertEquals(0, dewy.countLog("NOTIFY_SOCKET message dropped"), dewy.log());
        } finally {
            delete(shared);
        }
    }

    /**
     * READY=1 to generation 2's socket from a process that is not generation 2's: the test itself (outside dewy's
     * PID namespace) and one inside the namespace that dewy did not start (nsenter). Neither swaps; the real
     * READY=1, 8 s later (two python starts fit in that on a loaded machine), does.
     */
    @Test
    void ready1FromAProcessOutsideTheGenerationIsIgnored() throws Exception {
        Path file = tmp.resolve("gen");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, TestApp.command(List.of("--port",
                "127.0.0.1:" + StarterIT.freePort(), "--ready", "notify", "--log-level", "debug"), "generation",
                file, 8000))) {
            dewy.awaitStarted();
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(20));
            dewy.signal(Signals.SIGUSR1);
            Dewy.await("generation 2 to start", Duration.ofSeconds(10),
                    () -> StarterIT.of(file, 2).stream().anyMatch(l -> l.startsWith("env NOTIFY_SOCKET=")));
            String socket = StarterIT.value(file, 2, "env NOTIFY_SOCKET=");
            String send = "import socket, sys\n"
                    + "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                    + "s.sendto(b'READY=1', sys.argv[1])\n";
            run(List.of("python3", "-c", send, socket));
            run(List.of("nsenter", "--target", Integer.toString(dewy.pid()), "--pid", "--", "python3", "-c", send,
                    socket));
            Dewy.sleep(1000);
            assertFalse(Dewy.lines(file).contains("2 ready"), "the premise: generation 2 has not sent READY=1 yet");
            assertFalse(StarterIT.of(file, 1).contains("sig 15"), "no swap on a stranger's READY=1");
            dewy.awaitLog("NOTIFY_SOCKET message dropped", 2, Duration.ofSeconds(5));
            assertTrue(dewy.log().contains("level=WARN msg=\"NOTIFY_SOCKET message dropped: the sender is not this "
                    + "generation's\" path=" + socket + " pid=0 uid=0"), dewy.log());
            assertTrue(dewy.log().lines().anyMatch(l -> l.contains("level=DEBUG msg=\"NOTIFY_SOCKET message dropped")
                    && !l.contains(" pid=0 ")), "the sender inside the namespace, by its pid: " + dewy.log());
            Dewy.awaitLines(file, "1 sig 15", 1, Duration.ofSeconds(20));
            List<String> all = Dewy.lines(file);
            assertTrue(all.indexOf("2 ready") < all.indexOf("1 sig 15"), "the real READY=1 swaps: " + all);
        }
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), command.toString());
        assertEquals(0, p.exitValue(), command + ": " + out);
    }
}
