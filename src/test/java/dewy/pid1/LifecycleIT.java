package dewy.pid1;

import static dewy.pid1.DeployFixtures.awaitServing;
import static dewy.pid1.DeployFixtures.get;
import static dewy.pid1.DeployFixtures.pid;
import static dewy.pid1.DeployFixtures.publishFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.deploy.ReleaseFixtures;
import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lifecycle under interleavings that used to break it, as PID 1: signals to the main process only, restarts
 * and deploys through the loop's one queue (USR1, crashes and TERM during a deploy's after-hook or its start),
 * and spawns that fail for reasons other than the command.
 */
class LifecycleIT {
    @TempDir
    Path tmp;

    // ---- where signals go

    /**
     * A shell that starts a helper in the background and execs the server: HUP and TERM reach the server (the main
     * process) only; the helper, in the same process group, is left alone until the server is gone, and then gets
     * the stop signal as a leftover. With --signal-group, both get everything (dumb-init's default).
     */
    @Test
    void signalsGoToTheMainProcessOnlyAndToTheGroupWithSignalGroup() throws Exception {
        for (boolean group : new boolean[] {false, true}) {
            Path dir = Files.createDirectories(tmp.resolve(group ? "group" : "main"));
            Path main = dir.resolve("main");
            Path helper = dir.resolve("helper");
            String app = TestApp.path();
            List<String> args = new ArrayList<>(List.of("--grace-period", "10s"));
            if (group) {
                args.add("--signal-group");
            }
            args.addAll(List.of("--", "/bin/sh", "-c", app + " record " + helper + " 0 & exec " + app + " record "
                    + main + " 0"));
            try (Dewy dewy = Dewy.start(Mode.PID1, dir, args.toArray(String[]::new))) {
                Dewy.awaitLines(main, "ready", 1, Duration.ofSeconds(20));
                Dewy.awaitLines(helper, "ready", 1, Duration.ofSeconds(20));
                dewy.awaitStarted();
                dewy.signal(Signals.SIGHUP);
                Dewy.awaitLines(main, "sig 1", 1, Duration.ofSeconds(10));
                Dewy.sleep(300);
                assertEquals(group, Dewy.lines(helper).contains("sig 1"), "HUP to the helper, --signal-group=" + group);
                dewy.signal(Signals.SIGTERM);
                Dewy.awaitLines(main, "sig 15", 1, Duration.ofSeconds(10));
                // the helper gets TERM either way: with the group at once, else as a leftover once main is gone
                Dewy.awaitLines(helper, "sig 15", 1, Duration.ofSeconds(10));
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)));
            }
        }
    }

    // ---- deploys against the loop's one queue

    private Path workdir() {
        return tmp.resolve("work");
    }

    private Path registry() throws IOException {
        return Files.createDirectories(tmp.resolve("registry"));
    }

    private String currentTag() throws IOException {
        return DeployFixtures.currentTag(workdir());
    }

    private void publish(String tag, String... appArgs) throws IOException {
        publishFile(registry(), tag, ReleaseFixtures.appTarGz(tag, appArgs), true);
    }

    /**
     * The after-hook approves v1.0.0 at once; for any other version it writes {@code hook-running}, waits until
     * {@code hook-go} exists (the test's signal), and refuses (exit 1) unless {@code hook-approve} exists.
     */
    private String hook() {
        Path d = tmp.toAbsolutePath();
        return "[ \"$DEWY_VERSION\" = v1.0.0 ] && exit 0; echo \"$DEWY_VERSION\" > " + d.resolve("hook-running")
                + "; while [ ! -e " + d.resolve("hook-go") + " ]; do sleep 0.05; done; [ -e " + d.resolve("hook-approve")
                + " ]";
    }

    private List<String> deployArgs(int port, boolean sockets, String... more) {
        List<String> args = new ArrayList<>(List.of("--registry", "file://" + tmp.resolve("registry"), "-i", "200ms",
                "--workdir", workdir().toString(), "--ready", "notify", "--ready-timeout", "10s", "--grace-period",
                "5s"));
        if (sockets) {
            args.addAll(List.of("--port", "127.0.0.1:" + port));
        }
        args.addAll(List.of(more));
        args.add("--");
        args.add(workdir().resolve("current/app").toString());
        return args;
    }

    private void awaitHookRunning() {
        Dewy.await("the after-hook of the new release to run", Duration.ofSeconds(30),
                () -> Files.exists(tmp.resolve("hook-running")));
    }

    private void releaseHook(boolean approve) throws IOException {
        if (approve) {
            Files.createFile(tmp.resolve("hook-approve"));
        }
        Files.createFile(tmp.resolve("hook-go"));
    }

    /** Every version the application served, sampled while the test runs. */
    private static Thread sampler(int port, List<String> seen) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                String a = get(port);
                if (a.contains("version=")) {
                    synchronized (seen) {
                        seen.add(a.replaceAll("(?s).*version=(\\S+).*", "$1"));
                    }
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** dewy with {@link #hook()} as the after-hook, serving v1.0.0, with v1.1.0 published and its hook running. */
    private Dewy hookRunningFor(int port, String... more) throws IOException {
        publish("v1.0.0");
        List<String> args = new ArrayList<>(List.of("--after-deploy-hook", hook()));
        args.addAll(List.of(more));
        Dewy dewy = Dewy.start(Mode.PID1, tmp, deployArgs(port, true, args.toArray(String[]::new))
                .toArray(String[]::new));
        try {
            awaitServing(port, "v1.0.0", dewy);
            publish("v1.1.0");
            awaitHookRunning();
            return dewy;
        } catch (RuntimeException | Error e) {
            dewy.close();
            throw e;
        }
    }

    @Test
    void usr1DuringTheAfterHookWaitsForItsVerdictAndNeverServesTheRefusedRelease() throws Exception {
        int port = StarterIT.freePort();
        publish("v1.0.0");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, deployArgs(port, true, "--after-deploy-hook", hook())
                .toArray(String[]::new))) {
            awaitServing(port, "v1.0.0", dewy);
            long first = pid(get(port));
            List<String> seen = new ArrayList<>();
            Thread sampling = sampler(port, seen);
            publish("v1.1.0");
            awaitHookRunning();
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("msg=\"restart waits for the deploy's after-hook\"", 1, Duration.ofSeconds(10));
            Dewy.sleep(500);
            assertEquals(1, dewy.countLog("msg=started "), "nothing starts while current is unapproved");
            releaseHook(false);
            dewy.awaitLog("msg=\"current restored\"", 1, Duration.ofSeconds(10));
            Dewy.await("the USR1 restart after the verdict", Duration.ofSeconds(20),
                    () -> get(port).contains("version=v1.0.0\n") && pid(get(port)) != first);
            sampling.interrupt();
            sampling.join();
            assertEquals("v1.0.0", currentTag());
            synchronized (seen) {
                assertFalse(seen.contains("v1.1.0"), "the refused release served: " + seen);
            }
            assertTrue(dewy.log().indexOf("msg=\"current restored\"") < dewy.log().indexOf("msg=started generation=2"),
                    "generation 2 started only after current was back: " + dewy.log());
        }
    }

    @Test
    void aCrashDuringTheAfterHookRestartsTheApprovedRelease() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = hookRunningFor(port, "--restart-delay", "100ms")) {
            Dewy.kill(appPid(dewy), Signals.SIGKILL);
            dewy.awaitLog("msg=\"generation exited\" generation=1 ", 1, Duration.ofSeconds(10));
            Dewy.sleep(1000); // well past the crash backoff
            assertEquals(1, dewy.countLog("msg=started "), "no crash restart onto the unapproved release");
            releaseHook(false);
            awaitServing(port, "v1.0.0", dewy);
            assertEquals("v1.0.0", currentTag());
        }
    }

    @Test
    void termDuringTheAfterHookLeavesCurrentOnTheApprovedRelease() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = hookRunningFor(port)) {
            assertEquals("v1.1.0", currentTag(), "the after-hook runs after the swap");
            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)));
            assertEquals("v1.0.0", currentTag(), "the next start of the container must not run an unapproved release");
        }
    }

    @Test
    void anApprovingAfterHookDeploysAndAUsr1DuringItIsServedByTheSameRestart() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = hookRunningFor(port)) {
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("msg=\"restart waits for the deploy's after-hook\"", 1, Duration.ofSeconds(10));
            releaseHook(true);
            awaitServing(port, "v1.1.0", dewy);
            dewy.awaitLog("msg=deployed version=v1.1.0 ", 1, Duration.ofSeconds(10));
            Dewy.sleep(1000);
            assertEquals(2, dewy.countLog("msg=started "), "one restart for the deploy and the USR1: " + dewy.log());
        }
    }

    @Test
    void usr1WhileARolloutStartsNeverFailsIt() throws Exception {
        int port = StarterIT.freePort();
        publish("v1.0.0");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, deployArgs(port, true).toArray(String[]::new))) {
            awaitServing(port, "v1.0.0", dewy);
            publish("v1.1.0", "--startup-delay", "1500");
            dewy.awaitLog("msg=started generation=2 ", 1, Duration.ofSeconds(20));
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("restart already in progress; one more queued", 1, Duration.ofSeconds(10));
            dewy.awaitLog("msg=deployed version=v1.1.0 ", 1, Duration.ofSeconds(20));
            dewy.awaitLog("msg=started generation=3 ", 1, Duration.ofSeconds(20));
            awaitServing(port, "v1.1.0", dewy);
            Dewy.await("generation 3 serving", Duration.ofSeconds(20), () -> dewy.countLog("msg=restarted generation=3") > 0);
            assertFalse(dewy.log().contains("msg=\"rolled back\""), dewy.log());
            assertFalse(dewy.log().contains("deploy refused"), dewy.log());
            assertEquals("v1.1.0", currentTag());
        }
    }

    @Test
    void aRolloutArrivingDuringAUsr1RestartWaitsItsTurnAndIsNotMarkedFailed() throws Exception {
        int port = StarterIT.freePort();
        publish("v1.0.0", "--startup-delay", "2000");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, deployArgs(port, true).toArray(String[]::new))) {
            awaitServing(port, "v1.0.0", dewy);
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("msg=started generation=2 ", 1, Duration.ofSeconds(20));
            publish("v1.1.0"); // picked up while generation 2 takes its 2 s to get ready
            dewy.awaitLog("msg=\"deploy requested\" version=v1.1.0", 1, Duration.ofSeconds(10));
            assertEquals(0, dewy.countLog("msg=\"generation ready\" generation=2 "),
                    "the rollout arrived while the USR1 restart was under way");
            dewy.awaitLog("msg=deployed version=v1.1.0 ", 1, Duration.ofSeconds(30));
            awaitServing(port, "v1.1.0", dewy);
            assertFalse(dewy.log().contains("msg=\"rolled back\""), "no false rollback: " + dewy.log());
            assertFalse(dewy.log().contains("refused"), dewy.log());
            assertEquals("v1.1.0", currentTag());
        }
    }

    @Test
    void withoutPortAUsr1DuringTheDeploysRestartNeitherFailsNorFreezesDeploys() throws Exception {
        int port = StarterIT.freePort();
        String bind = "127.0.0.1:" + port;
        publish("v1.0.0", "--bind", bind);
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, deployArgs(port, false).toArray(String[]::new))) {
            awaitServing(port, "v1.0.0", dewy);
            publish("v1.1.0", "--bind", bind, "--startup-delay", "1500");
            dewy.awaitLog("msg=started generation=2 ", 1, Duration.ofSeconds(20));
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("msg=deployed version=v1.1.0 ", 1, Duration.ofSeconds(20));
            awaitServing(port, "v1.1.0", dewy);
            dewy.awaitLog("msg=started generation=3 ", 1, Duration.ofSeconds(20)); // the USR1, after the deploy
            publish("v1.2.0", "--bind", bind);
            awaitServing(port, "v1.2.0", dewy); // the scheduler is not stuck on a rollout that never ends
            dewy.awaitLog("msg=deployed version=v1.2.0 ", 1, Duration.ofSeconds(20));
        }
    }

    // ---- applications that bind the port dewy holds

    /**
     * A slow application that binds the port itself (a Spring Boot app without the starter): the default
     * {@code delay:1s} counts it as ready before its bind fails, so "exited before it was ready" never fires; the
     * hint must come all the same.
     */
    @Test
    void aSelfBindingAppThatCountsAsReadyBeforeItsBindFailsStillGetsTheHint() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + port, "--max-restarts", "1", "--",
                "/bin/sh", "-c", "sleep 2; exec python3 " + ReleaseFixtures.PYTHON_APP + " --bind 127.0.0.1:" + port)) {
            dewy.awaitLog("msg=\"generation ready\" generation=1 ", 1, Duration.ofSeconds(20));
            dewy.awaitLog("msg=\"generation exited\" generation=1 ", 1, Duration.ofSeconds(20));
            dewy.awaitLog("soon after it started; if it binds its port itself, that fails with", 1,
                    Duration.ofSeconds(5));
        }
    }

    // ---- spawns that fail for other reasons

    /** The application's main process among dewy's children (a hook may be running beside it). */
    private static int appPid(Dewy dewy) {
        for (int child : dewy.children()) {
            if (Dewy.read(Path.of("/proc/" + child + "/cmdline")).contains("app.py")) {
                return child;
            }
        }
        throw new AssertionError("no app.py among dewy's children " + dewy.children());
    }

    private static String environOf(int pid, String name) throws IOException {
        for (String e : new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ"))).split("\0")) {
            if (e.startsWith(name + "=")) {
                return e.substring(name.length() + 1);
            }
        }
        return null;
    }

    @Test
    void aNotifySocketDirectoryRemovedByATmpCleanerIsMadeAgain() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + port, "--ready", "notify", "--",
                "python3", ReleaseFixtures.PYTHON_APP.toString())) {
            dewy.awaitLog("msg=\"generation ready\" generation=1 ", 1, Duration.ofSeconds(20));
            Path socket = Path.of(environOf(appPid(dewy), "NOTIFY_SOCKET"));
            run("rm", "-rf", socket.getParent().toString());
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("msg=\"generation ready\" generation=2 ", 1, Duration.ofSeconds(20));
            assertTrue(dewy.log().contains("NOTIFY_SOCKET directory was gone; made it again"), dewy.log());
            Dewy.await("generation 2 serving alone", Duration.ofSeconds(20), () -> dewy.children().size() == 1);
        }
    }

    @Test
    void aSpawnThatFailsWithTooManyOpenFilesIsRetriedUntilItWorks() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--port", "127.0.0.1:" + port, "--ready", "notify",
                "--restart-delay", "200ms", "--max-restarts", "0", "--", "python3",
                ReleaseFixtures.PYTHON_APP.toString())) {
            dewy.awaitLog("msg=\"generation ready\" generation=1 ", 1, Duration.ofSeconds(20));
            // the fewest descriptors dewy holds: a thread of its own may have /proc/net/tcp open for a moment
            int open = Integer.MAX_VALUE;
            for (int i = 0; i < 10; i++) {
                try (var fds = Files.list(Path.of("/proc/" + dewy.pid() + "/fd"))) {
                    open = Math.min(open, (int) fds.count());
                }
                Dewy.sleep(100);
            }
            // Once generation 1's NOTIFY_SOCKET is closed at its exit, dewy may not open a single descriptor more:
            // the next generation's NOTIFY_SOCKET fails with EMFILE. Only the soft limit: it can be raised again.
            run("prlimit", "--pid", Integer.toString(dewy.pid()), "--nofile=" + (open - 1) + ":");
            Dewy.kill(appPid(dewy), Signals.SIGKILL);
            try {
                dewy.awaitLog("msg=\"cannot start the application; retrying after a backoff\"", 2,
                        Duration.ofSeconds(20));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + " (soft limit " + (open - 1) + ")\n" + dewy.log(), e);
            }
            assertTrue(dewy.log().contains("Too many open files") || dewy.log().contains("too many open files"),
                    dewy.log());
            assertTrue(dewy.alive(), "dewy retries, and says so");
            run("prlimit", "--pid", Integer.toString(dewy.pid()), "--nofile=1024:");
            dewy.awaitLog("msg=\"generation ready\" generation=2 ", 1, Duration.ofSeconds(20));
            assertTrue(get(port).contains("pid="), "the application serves again");
        }
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd));
    }
}
