package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.command.InspectContainerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame.OutputType;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.containers.wait.strategy.WaitAllStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * One container of an image under test, with host networking only: the engine here has no bridge, and no test may
 * create a network. The static test application is at {@link StaticTestApp#IN_CONTAINER}; tests point its record
 * file at /dev/stdout, so the container log's stdout holds what the application saw and its stderr holds dewy's
 * log. Signals, {@code docker stop} and exit codes go through the engine's API, as the docker CLI does.
 */
class DewyContainer extends GenericContainer<DewyContainer> {
    /** The image the image profile built for this run (see {@link ContainerTest}). */
    static final String IMAGE = System.getProperty("dewy.image");

    /** The application's record file: its stdout, which dewy passes on as fd 1. */
    static final String RECORD = "/dev/stdout";

    DewyContainer(String image) {
        super(DockerImageName.parse(image));
        withNetworkMode("host");
        withCopyFileToContainer(MountableFile.forHostPath(StaticTestApp.path(), 0755), StaticTestApp.IN_CONTAINER);
    }

    /** The image's entrypoint, {@code dewy server}, with CMD = dewy's options, "--", testapp and its arguments. */
    static DewyContainer dewy(List<String> options, Object... appArgs) {
        List<String> cmd = new ArrayList<>(options);
        cmd.add("--");
        cmd.add(StaticTestApp.IN_CONTAINER);
        for (Object a : appArgs) {
            cmd.add(a.toString());
        }
        return new DewyContainer(IMAGE).withCommand(cmd.toArray(String[]::new));
    }

    /** Starts the container and waits until dewy logged "started" and the application wrote "ready". */
    DewyContainer startReady() {
        waitingFor(new WaitAllStrategy()
                .withStrategy(Wait.forLogMessage(".*msg=started.*\\n", 1))
                .withStrategy(Wait.forLogMessage("ready\\n", 1))
                .withStartupTimeout(Duration.ofSeconds(60)));
        start();
        return this;
    }

    // ---- the engine's view ----

    /** {@code docker kill --signal=NAME}: the engine signals the container's PID 1 from outside its namespace. */
    void kill(String signal) {
        getDockerClient().killContainerCmd(getContainerId()).withSignal(signal).exec();
    }

    record Stopped(long exitCode, Duration took) {
    }

    /** {@code docker stop --time=SECONDS}: TERM, then the engine's SIGKILL at the timeout; returns when it is gone. */
    Stopped dockerStop(int timeoutSeconds) {
        long t0 = System.nanoTime();
        getDockerClient().stopContainerCmd(getContainerId()).withTimeout(timeoutSeconds).exec();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        return new Stopped(state().getExitCodeLong(), took);
    }

    /** Waits until the container has exited by itself; returns its exit code as the engine recorded it. */
    long awaitExit(Duration timeout) {
        await("the container to exit", timeout, () -> !Boolean.TRUE.equals(state().getRunning()));
        return state().getExitCodeLong();
    }

    boolean running() {
        return Boolean.TRUE.equals(state().getRunning());
    }

    private InspectContainerResponse.ContainerState state() {
        return getDockerClient().inspectContainerCmd(getContainerId()).exec().getState();
    }

    // ---- logs ----

    List<String> appLines() {
        return getLogs(OutputType.STDOUT).lines().toList();
    }

    String dewyLog() {
        return getLogs(OutputType.STDERR);
    }

    long countApp(String line) {
        return appLines().stream().filter(line::equals).count();
    }

    void awaitApp(String line, long count, Duration timeout) {
        await(count + "x \"" + line + "\" from the application", timeout, () -> countApp(line) >= count);
    }

    long countLog(String needle) {
        return dewyLog().lines().filter(l -> l.contains(needle)).count();
    }

    void awaitLog(String needle, long count, Duration timeout) {
        await(count + " log line(s) with \"" + needle + "\"", timeout, () -> countLog(needle) >= count);
    }

    // ---- inside the container ----

    /** Runs {@code sh -c SCRIPT} in the container (as the image's user) and returns its stdout; it must succeed. */
    String sh(String script) {
        try {
            ExecResult r = execInContainer("sh", "-c", script);
            assertEquals(0, r.getExitCode(), "sh -c " + script + ": " + r.getStderr());
            return r.getStdout();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** One line of /proc/PID/stat, as the container's PID namespace numbers it. */
    record Proc(int pid, String comm, char state, int ppid, int pgid) {
        static Proc parse(String stat) {
            int close = stat.lastIndexOf(')');
            String[] f = stat.substring(close + 2).split(" ");
            return new Proc(Integer.parseInt(stat.substring(0, stat.indexOf(' '))),
                    stat.substring(stat.indexOf('(') + 1, close), f[0].charAt(0), Integer.parseInt(f[1]),
                    Integer.parseInt(f[2]));
        }
    }

    /** Every process in the container, read from its /proc (the `cat` that reads them included, with ppid 0). */
    List<Proc> processes() {
        return sh("cat /proc/[0-9]*/stat 2>/dev/null; true").lines().filter(l -> !l.isBlank()).map(Proc::parse)
                .toList();
    }

    /** PID 1's children: the application, and orphans not yet reaped. */
    List<Proc> childrenOfPid1() {
        return processes().stream().filter(p -> p.ppid() == 1).toList();
    }

    /** The application's pid in the container: PID 1's only child. */
    int app() {
        List<Proc> children = childrenOfPid1();
        if (children.size() != 1) {
            fail("expected one child of PID 1, found " + children);
        }
        return children.get(0).pid();
    }

    /** /proc/PID/cmdline, split at its NULs. */
    List<String> cmdline(int pid) {
        return Arrays.asList(sh("cat /proc/" + pid + "/cmdline").split("\0"));
    }

    /** /proc/PID/environ, split at its NULs. */
    List<String> environ(int pid) {
        return Arrays.asList(sh("cat /proc/" + pid + "/environ").split("\0"));
    }

    /** The value of {@code KEY:} in /proc/PID/status (or /proc/PID/task/TID/status). */
    static String statusField(String status, String key) {
        return status.lines().filter(l -> l.startsWith(key + ":")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + " in " + status)).substring(key.length() + 1)
                .trim();
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            sleep(50);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
