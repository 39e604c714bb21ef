package dewy.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcFsTest {
    @TempDir
    Path root;
    ProcFs proc;
    /** pid -> ppid of the fake table, to check the order of descendants(). */
    final Map<Integer, Integer> parents = new HashMap<>();

    @BeforeEach
    void fakeProc() throws IOException {
        proc = new ProcFs(root);
        process(1, "init", 0);
        process(100, "dewy", 1);
        process(200, "my (weird) app", 100);
        process(300, "worker", 200);
        process(310, "grandchild", 300);
        process(150, "reused pid", 300); // a lower pid below a higher one: pid order is not tree order
        process(301, "x) S 999 (", 200); // a comm that looks like the fields a naive parser would read
        process(220, "sh", 100);
        process(400, "other", 1);
        process(401, "other child", 400);
        Files.createDirectory(root.resolve("500")); // exited between readdir and open: no stat
        Files.writeString(root.resolve("uptime"), "1.0 2.0\n");
        Files.createDirectories(root.resolve("sys/kernel"));
        Files.createDirectories(root.resolve("self/task"));
    }

    private void process(int pid, String comm, int ppid) throws IOException {
        Path dir = Files.createDirectory(root.resolve(Integer.toString(pid)));
        Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") S " + ppid + " " + pid + " " + pid
                + " 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000000 100 18446744073709551615\n");
        parents.put(pid, ppid);
    }

    private void assertTreeOrder(int ancestor, List<Integer> out) {
        for (int i = 0; i < out.size(); i++) {
            int ppid = parents.get(out.get(i));
            assertTrue(ppid == ancestor || out.subList(0, i).contains(ppid),
                    out.get(i) + " comes before its parent " + ppid + " in " + out);
        }
    }

    @Test
    void descendantsOfDewy() {
        List<Integer> out = proc.descendants(100);
        assertEquals(Set.of(200, 220, 300, 301, 310, 150), new HashSet<>(out));
        assertEquals(6, out.size());
        assertTreeOrder(100, out);
    }

    @Test
    void descendantsOfAMiddleProcess() {
        List<Integer> out = proc.descendants(300);
        assertEquals(Set.of(310, 150), new HashSet<>(out));
        assertTreeOrder(300, out);
        assertEquals(List.of(), proc.descendants(310));
    }

    @Test
    void descendantsParsesPpidAfterTheLastParenthesis() {
        assertEquals(List.of(), proc.descendants(999));
        assertTrue(proc.descendants(200).contains(301));
    }

    @Test
    void descendantsOfInitIsEverything() {
        List<Integer> out = proc.descendants(1);
        assertEquals(parents.keySet().stream().filter(p -> p != 1).sorted().toList(),
                out.stream().sorted(Comparator.naturalOrder()).toList());
        assertTreeOrder(1, out);
    }

    @Test
    void descendantsOfAnUnknownPid() {
        assertEquals(List.of(), proc.descendants(12345));
    }

    @Test
    void descendantsWithoutProcFails() {
        assertThrows(IllegalStateException.class, () -> new ProcFs(root.resolve("missing")).descendants(1));
    }

    @Test
    void selfCmdline() throws IOException {
        Files.write(root.resolve("self/cmdline"), "java\0-jar\0/opt/dewy/dewy.jar\0server\0--\0sh\0-c\0echo a b\0"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("java", "-jar", "/opt/dewy/dewy.jar", "server", "--", "sh", "-c", "echo a b"),
                proc.selfCmdline());
    }

    @Test
    void selfCmdlineKeepsEmptyArguments() throws IOException {
        Files.write(root.resolve("self/cmdline"), "app\0\0x\0".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("app", "", "x"), proc.selfCmdline());
        Files.write(root.resolve("self/cmdline"), new byte[0]);
        assertEquals(List.of(), proc.selfCmdline());
    }

    @Test
    void selfCmdlineMissing() {
        assertThrows(IllegalStateException.class, proc::selfCmdline);
    }

    private void thread(int tid, String name, String sigBlk) throws IOException {
        Path dir = Files.createDirectories(root.resolve("self/task/" + tid));
        StringBuilder sb = new StringBuilder();
        sb.append("Name:\t").append(name).append('\n');
        sb.append("Umask:\t0022\nState:\tS (sleeping)\nTgid:\t100\nPid:\t").append(tid).append('\n');
        sb.append("SigQ:\t0/63382\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n");
        if (sigBlk != null) {
            sb.append("SigBlk:\t").append(sigBlk).append('\n');
        }
        sb.append("SigIgn:\t0000000000001000\nSigCgt:\t2000000181005ccf\nCapInh:\t0000000000000000\n");
        Files.writeString(dir.resolve("status"), sb.toString());
    }

    @Test
    void noLeaksWhenEveryThreadBlocksTheSet() throws IOException {
        thread(100, "java", "9ffffffe3ffbfa07");
        thread(101, "GC Thread#0", "9ffffffe3ffbfa07");
        thread(102, "C1 CompilerThre", "fffffffffffffeff"); // blocks more (all but SIGKILL): fine
        assertEquals(List.of(), proc.threadsNotBlocking(Signals.HANDLED));
    }

    @Test
    void leaksNameTheThreadAndTheMissingSignals() throws IOException {
        thread(100, "java", "9ffffffe3ffbfa07");
        thread(107, "Signal Dispatch", "0000000000000000");
        thread(108, "Reference Handl", "0000000008016a07");
        thread(109, "gone", null); // exited while we looked
        List<ProcFs.Leak> leaks = proc.threadsNotBlocking(Signals.HANDLED);
        Map<String, SignalSet> byThread = new HashMap<>();
        for (ProcFs.Leak l : leaks) {
            byThread.put(l.thread(), l.unblocked());
        }
        assertEquals(2, leaks.size(), leaks.toString());
        assertEquals(Signals.HANDLED, byThread.get("Signal Dispatch/107"));
        SignalSet missing = byThread.get("Reference Handl/108");
        assertEquals(Signals.HANDLED.minus(SignalSet.fromProcHex("0000000008016a07")), missing);
        assertTrue(missing.contains(Signals.SIGCONT) && missing.contains(64));
        assertTrue(!missing.contains(Signals.SIGTERM) && !missing.contains(Signals.SIGHUP));
    }

    @Test
    void leakWithOnlyOneSignalMissing() throws IOException {
        thread(42, "main", Long.toHexString(Signals.HANDLED.minus(SignalSet.of(Signals.SIGUSR2)).bits()));
        List<ProcFs.Leak> leaks = proc.threadsNotBlocking(Signals.HANDLED);
        assertEquals(List.of(new ProcFs.Leak("main/42", SignalSet.of(Signals.SIGUSR2))), leaks);
        assertEquals("SIGUSR2", leaks.get(0).unblocked().toString());
    }

    @Test
    void threadWithoutNameIsReportedWithQuestionMark() throws IOException {
        Path dir = Files.createDirectories(root.resolve("self/task/7"));
        Files.writeString(dir.resolve("status"), "SigBlk:\t0000000000000000\n");
        assertEquals(List.of(new ProcFs.Leak("?/7", SignalSet.of(1))), proc.threadsNotBlocking(SignalSet.of(1)));
    }

    @Test
    void noTaskDirectoryFails() throws IOException {
        Files.delete(root.resolve("self/task"));
        assertThrows(IllegalStateException.class, () -> proc.threadsNotBlocking(Signals.HANDLED));
    }

    @Test
    void onTheRealProcEveryLeakIsReal() {
        // This JVM was started without the launcher, so threads do not block HANDLED; the real /proc must parse.
        List<ProcFs.Leak> leaks = ProcFs.system().threadsNotBlocking(Signals.HANDLED);
        for (ProcFs.Leak l : leaks) {
            assertTrue(Signals.HANDLED.containsAll(l.unblocked()) && !l.unblocked().isEmpty(), l.toString());
        }
        assertTrue(ProcFs.system().selfCmdline().size() > 0);
    }

    @Test
    void tcpAddressesFromProcNet() {
        assertEquals("127.0.0.1:8080", ProcFs.address("0100007F:1F90"));
        assertEquals("0.0.0.0:80", ProcFs.address("00000000:0050"));
        assertEquals("[0:0:0:0:0:0:0:1]:8080", ProcFs.address("00000000000000000000000001000000:1F90"));
    }

    @Test
    void listeningSocketsOfThisVeryProcess() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int self = (int) ProcessHandle.current().pid();
            assertTrue(ProcFs.system().listeningTcp(self).containsValue("127.0.0.1:" + s.getLocalPort()),
                    ProcFs.system().listeningTcp(self).toString());
        }
    }

    /** systemd's NotifyAccess for one generation: the main process, its process group, or below it. */
    @Test
    void belongsToTheGenerationOfItsMainProcess() throws IOException {
        // 200 is a generation's main process (under dewy, 100); 300 and 310 are below it, 301 its child too
        assertTrue(proc.belongsTo(200, 200, 100), "the main process itself");
        assertTrue(proc.belongsTo(300, 200, 100), "a child");
        assertTrue(proc.belongsTo(310, 200, 100), "a grandchild");
        assertTrue(proc.belongsTo(301, 200, 100), "a child with a comm made to mislead");
        assertTrue(proc.belongsTo(150, 200, 100), "a lower pid below the main process");
        assertFalse(proc.belongsTo(220, 200, 100), "another child of dewy: a readiness check, another generation");
        assertFalse(proc.belongsTo(401, 200, 100), "elsewhere in the namespace");
        assertFalse(proc.belongsTo(100, 200, 100), "dewy itself");
        assertFalse(proc.belongsTo(0, 200, 100), "outside dewy's PID namespace");
        assertFalse(proc.belongsTo(500, 200, 100), "gone: no stat to check");
        assertFalse(proc.belongsTo(999, 200, 100), "no such process");
        // re-parented to dewy when its parent exited, but still in the generation's process group
        Path dir = Files.createDirectory(root.resolve("600"));
        Files.writeString(dir.resolve("stat"), "600 (orphan) S 100 200 200 0 -1 4194560 100 0 0 0 1 2 0 0 20\n");
        assertTrue(proc.belongsTo(600, 200, 100), "in the main process's group");
        assertFalse(proc.belongsTo(600, 220, 100));
    }

    @Test
    void listenersAreFoundInABigTableReadAsAStream() throws Exception {
        // a busy host's table: 100,000 TIME_WAIT rows around the one LISTEN row of the process's socket
        Path fd = Files.createDirectories(root.resolve("42/fd"));
        Files.createSymbolicLink(fd.resolve("3"), Path.of("socket:[777]"));
        Files.createSymbolicLink(fd.resolve("4"), Path.of("socket:[778]")); // connected, not listening
        Path net = Files.createDirectories(root.resolve("42/net"));
        StringBuilder t = new StringBuilder("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
                + "   uid  timeout inode\n");
        for (int i = 0; i < 100_000; i++) {
            t.append(String.format("%5d: 0100007F:%04X 0100007F:1F90 06 00000000:00000000 03:00000F9A 00000000     0"
                    + "        0 0 3 0000000000000000%n", i, i % 65536));
            if (i == 50_000) {
                t.append("50001: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
                        + "777 1 0000000000000000 100 0 0 10 0\n");
                t.append("50002: 0100007F:1F91 0100007F:9999 01 00000000:00000000 00:00000000 00000000     0        0 "
                        + "778 1 0000000000000000 100 0 0 10 0\n");
            }
        }
        Files.writeString(net.resolve("tcp"), t);
        assertEquals(java.util.Map.of(777L, "127.0.0.1:8080"), proc.listeningTcp(42)); // no tcp6: skipped
        assertEquals("0A", ProcFs.field(" 1: 0100007F:1F90 00000000:0000 0A 0", 3));
        assertEquals(null, ProcFs.field(" 1: a", 3));
    }
}
