package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.posix.SignalSet;
import dewy.posix.Signals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Signals sent to dewy as PID 1: forwarded, or acted on, never lost and never handled by the JVM. */
class SignalsIT {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Mode.class, names = {"PID1", "PID1_RELAUNCH"})
    void everyForwardedSignalReachesTheChildAndDewyKeepsRunning(Mode mode) throws Exception {
        Path rec = tmp.resolve("rec");
        try (Dewy dewy = Dewy.startReady(mode, tmp, rec, TestApp.command(List.of("-l", "debug"), "record", rec))) {
            List<Integer> forwarded = Signals.FORWARDED.toList();
            assertTrue(forwarded.containsAll(List.of(Signals.SIGHUP, Signals.SIGUSR2, Signals.SIGWINCH, 37,
                    Signals.SIGCONT, Signals.SIGALRM, Signals.SIGTSTP, Signals.SIGTTIN, Signals.SIGTTOU, 64)));
            for (int sig : forwarded) {
                dewy.signal(sig);
                Dewy.awaitLines(rec, "sig " + sig, 1, Duration.ofSeconds(5));
            }
            assertTrue(dewy.alive());
            assertEquals(1, dewy.children().size(), "the same child, still running");
            // the child got each signal exactly once, and nothing else (no stray SIGCONT from dewy)
            List<String> got = Dewy.lines(rec).stream().filter(l -> l.startsWith("sig ")).toList();
            assertEquals(forwarded.stream().map(s -> "sig " + s).toList(), got);
            // dewy logs from its own writer thread: wait for the lines, then check there is no extra one
            dewy.awaitLog("msg=\"PID received signal\" pid=1 signal=", forwarded.size(), Duration.ofSeconds(5));
            assertEquals(forwarded.size(), dewy.countLog("msg=\"PID received signal\" pid=1 signal="), dewy.log());
        }
    }

    @Test
    void hupReachesTheChildAndDewyDoesNothingElse() throws Exception {
        Path rec = tmp.resolve("rec");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, rec, TestApp.command(List.of("-l", "debug"), "record", rec))) {
            int app = dewy.app();
            dewy.signal(Signals.SIGHUP);
            Dewy.awaitLines(rec, "sig 1", 1, Duration.ofSeconds(5));
            Dewy.sleep(300);
            assertTrue(dewy.alive());
            assertEquals(List.of(app), dewy.children(), "no restart, no stop");
            assertTrue(dewy.log().contains("msg=\"PID received signal\" pid=1 signal=SIGHUP"), dewy.log());
            assertEquals(0, dewy.countLog("restart"));
        }
    }

    /**
     * {@code nohup dewy ...}, or a shell's background job: dewy starts with HUP, INT, QUIT (and here TERM) ignored.
     * Signals blocked in every thread are still queued while ignored (Linux), so the signalfd sees them all.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Mode.class, names = {"PID1", "SUBREAPER"})
    void signalsDewyInheritedAsIgnoredStillWork(Mode mode) throws Exception {
        Path rec = tmp.resolve("rec");
        List<String> ignoring = List.of("env", "--ignore-signal=HUP,INT,QUIT,TERM");
        try (Dewy dewy = Dewy.startWrapped(ignoring, mode, tmp, java.util.Map.of(),
                TestApp.command(List.of(), "record", rec, 42))) {
            Dewy.awaitLines(rec, "ready", 1, Duration.ofSeconds(20));
            dewy.awaitStarted();
            String status = Dewy.read(Path.of("/proc/" + dewy.pid() + "/status"));
            long ignored = Long.parseUnsignedLong(status.replaceAll("(?s).*SigIgn:\\s*([0-9a-f]+).*", "$1"), 16);
            assertEquals(0x4007L, ignored & 0x4007L, "the premise: dewy runs with HUP, INT, QUIT and TERM ignored; "
                    + status);
            dewy.signal(Signals.SIGHUP);
            Dewy.awaitLines(rec, "sig 1", 1, Duration.ofSeconds(5));
            dewy.signal(Signals.SIGINT);
            assertEquals(42, dewy.awaitExit(Duration.ofSeconds(15)), "INT drains");
        }
    }

    @ParameterizedTest(name = "{0} drains")
    @ValueSource(ints = {Signals.SIGTERM, Signals.SIGINT, Signals.SIGQUIT})
    void termIntAndQuitDrainAndExitWithTheChildsStatus(int drainSignal) throws Exception {
        Path rec = tmp.resolve("rec");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, rec, TestApp.command(List.of("--grace-period", "20s"), "record", rec, 42))) {
            long t0 = System.nanoTime();
            dewy.signal(drainSignal);
            assertEquals(42, dewy.awaitExit(Duration.ofSeconds(15)));
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "drained at once, not at the grace end");
            // the child got the stop signal (TERM), whichever signal started the drain
            assertEquals(List.of("ready", "sig 15"), Dewy.lines(rec).subList(0, 2));
            assertTrue(dewy.log().contains("msg=draining signal=" + Signals.name(drainSignal)), dewy.log());
            assertFalse(Dewy.read(dewy.stdout).contains("Full thread dump"), "QUIT must not reach the JVM's handler");
        }
    }

    @Test
    void childThatIgnoresTermIsKilledAfterTheGracePeriod() throws Exception {
        Path ready = tmp.resolve("ready");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, ready, TestApp.command(List.of("--grace-period", "1500ms"), "ignore-term",
                ready))) {
            long t0 = System.nanoTime();
            dewy.signal(Signals.SIGTERM);
            assertEquals(137, dewy.awaitExit(Duration.ofSeconds(15)));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 1450, "KILL only after the grace period, was " + ms + " ms");
            assertTrue(ms < 3500, "KILL soon after the grace period, was " + ms + " ms");
            assertTrue(dewy.log().contains("grace period over; sending SIGKILL"), dewy.log());
        }
    }

    @Test
    void gracePeriodAndStopSignalComeFromTheEnvironment() throws Exception {
        Path rec = tmp.resolve("rec");
        Map<String, String> env = Map.of("DEWY_GRACE_PERIOD", "700ms", "DEWY_STOP_SIGNAL", "USR2");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, env, rec, TestApp.command(List.of(), "record", rec))) {
            long t0 = System.nanoTime();
            dewy.signal(Signals.SIGTERM);
            assertEquals(137, dewy.awaitExit(Duration.ofSeconds(15)), "record mode only exits on TERM");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 650 && ms < 3000, "killed after ~700 ms, was " + ms);
            assertEquals(List.of("ready", "sig 12", "sig 18"), Dewy.lines(rec), "USR2 as stop signal, then CONT");
        }
    }

    @Test
    void terminalStopIsForwardedAndContinueResumesTheChildWhileDewyAsPid1NeverStops() throws Exception {
        Path ready = tmp.resolve("ready");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, ready, TestApp.command(List.of(), "pause", ready))) {
            int app = dewy.app();
            dewy.signal(Signals.SIGTSTP);
            Dewy.await("the child to stop", Duration.ofSeconds(5), () -> Dewy.state(app) == 'T');
            assertNotEquals('T', Dewy.state(dewy.pid()));
            dewy.signal(Signals.SIGCONT);
            Dewy.await("the child to continue", Duration.ofSeconds(5), () -> Dewy.state(app) == 'S');
            dewy.signal(Signals.SIGTERM);
            assertEquals(143, dewy.awaitExit(Duration.ofSeconds(10)));
        }
    }

    @Test
    void aSuspendedApplicationStillDrainsAtOnce() throws Exception {
        Path ready = tmp.resolve("ready");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, ready, TestApp.command(List.of("--grace-period", "20s"), "pause", ready))) {
            int app = dewy.app();
            Dewy.kill(app, Signals.SIGSTOP);
            Dewy.await("the child to stop", Duration.ofSeconds(5), () -> Dewy.state(app) == 'T');
            long t0 = System.nanoTime();
            dewy.signal(Signals.SIGTERM);
            assertEquals(143, dewy.awaitExit(Duration.ofSeconds(30)), "TERM, then CONT so it can act on it");
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "not KILLed at the grace end");
        }
    }

    @Test
    void jsonLogsCarryTheSignalLine() throws Exception {
        Path rec = tmp.resolve("rec");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, TestApp.command(List.of("-l", "debug", "--log-format", "json"),
                "record", rec))) {
            Dewy.awaitLines(rec, "ready", 1, Duration.ofSeconds(20));
            dewy.awaitLog("\"msg\":\"started\"", 1, Duration.ofSeconds(10));
            dewy.signal(Signals.SIGWINCH);
            Dewy.awaitLines(rec, "sig 28", 1, Duration.ofSeconds(5));
            dewy.signal(Signals.SIGTERM);
            dewy.awaitExit(Duration.ofSeconds(10));
            for (String line : dewy.log().lines().toList()) {
                assertTrue(line.matches("\\{\"time\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\",\"level\":\"(DEBUG|INFO|WARN|ERROR)\",\"msg\":\"[^\"]+\"(,\"\\w+\":(\"[^\"]*\"|\\d+|true|false))*}"),
                        line);
            }
            assertTrue(dewy.log().contains("\"msg\":\"PID received signal\",\"pid\":1,\"signal\":\"SIGWINCH\""),
                    dewy.log());
        }
    }

    @Test
    void dewysOwnThreadsAllBlockEverySignalItHandles() throws Exception {
        for (Mode mode : List.of(Mode.PID1, Mode.PID1_RELAUNCH)) {
            Path ready = tmp.resolve("ready-" + mode);
            // with the admin server, whose threads the JVM starts after dewy is up
            try (Dewy dewy = Dewy.startReady(mode, tmp, ready, TestApp.command(List.of("--admin",
                    Integer.toString(StarterIT.freePort())), "pause", ready))) {
                dewy.awaitLog("msg=\"admin server\"", 1, Duration.ofSeconds(10));
                Dewy.sleep(200);
                int threads = 0;
                boolean httpThread = false;
                try (var tasks = java.nio.file.Files.list(Path.of("/proc", Integer.toString(dewy.pid()), "task"))) {
                    for (Path task : (Iterable<Path>) tasks::iterator) {
                        String status = Dewy.read(task.resolve("status"));
                        String blk = status.lines().filter(l -> l.startsWith("SigBlk:")).findFirst().orElseThrow();
                        String name = status.lines().filter(l -> l.startsWith("Name:")).findFirst().orElseThrow();
                        SignalSet blocked = SignalSet.fromProcHex(blk.substring(7));
                        // the loop waits in ppoll on a signalfd with its mask unchanged: no thread, ever, unblocks
                        assertTrue(blocked.containsAll(Signals.HANDLED), mode + " " + name + " " + blk);
                        httpThread |= name.contains("HTTP");
                        threads++;
                    }
                }
                assertTrue(threads > 5, "looked at the JVM's threads");
                assertTrue(httpThread, "the admin server's thread was among them");
                // the re-exec marks the first JVM's descriptors close-on-exec: the jar is open once, not twice
                long jarFds = 0;
                try (var fds = java.nio.file.Files.list(Path.of("/proc", Integer.toString(dewy.pid()), "fd"))) {
                    for (Path fd : (Iterable<Path>) fds::iterator) {
                        try {
                            if (java.nio.file.Files.readSymbolicLink(fd).toString().endsWith("dewy.jar")) {
                                jarFds++;
                            }
                        } catch (java.io.IOException gone) {
                            // closed while we looked
                        }
                    }
                }
                assertEquals(1, jarFds, mode + ": descriptors of dewy.jar");
            }
        }
    }
}
