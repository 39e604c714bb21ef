package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * A container whose PID 1 is a real systemd (docker/systemd-image.sh), with dewy installed in /opt/dewy as
 * docker/systemd/dewy.service's comment says and the Jetty example at /opt/hello. Host networking only, as every
 * container here. What systemd needs from the engine, measured on this machine (Docker 20.10, cgroup v1 with a
 * name=systemd hierarchy): the host's /sys/fs/cgroup mounted read-write, since the engine's own is read-only and
 * systemd must make its init.scope there ("Failed to create compat systemd cgroup ...: Read-only file system");
 * with a private cgroup namespace it fails too ("Failed to create /init.scope control group"), and
 * leaves an empty init.scope at the root of the host's hierarchies. No capability
 * beyond the engine's defaults: {@code --privileged} is refused here (the sandbox lacks CAP_SYS_RESOURCE, "unable to
 * apply caps"), and systemd boots to "running" without it. /run and /run/lock are fresh tmpfs, as at a boot.
 */
final class SystemdContainer extends GenericContainer<SystemdContainer> {
    /** One fixed name, so that a run that died cannot leave an unnamed one behind: removed before and after. */
    static final String NAME = "dewy-systemd-it";
    static final Path TARGET = Path.of(System.getProperty("dewy.target", "target")).toAbsolutePath();
    static final Path JETTY = Path.of(System.getProperty("dewy.examples", "docker/examples"))
            .resolve("jetty/target/hello-jetty.jar").toAbsolutePath();
    private static final Duration BOOT = Duration.ofSeconds(60);

    SystemdContainer(String image) {
        super(DockerImageName.parse(image));
        withNetworkMode("host");
        withTmpFs(Map.of("/run", "rw,nosuid,nodev", "/run/lock", "rw,nosuid,nodev,noexec"));
        // SIGRTMIN+3 is systemd's halt; on TERM it would only re-execute itself and be killed at the timeout.
        withCreateContainerCmdModifier(c -> {
            c.withName(NAME).withStopSignal("SIGRTMIN+3");
            c.getHostConfig().withBinds(new Bind("/sys/fs/cgroup", new Volume("/sys/fs/cgroup"), AccessMode.rw));
        });
        // Installed as the unit files' comments say: dewy's build output in /opt/dewy.
        for (String f : List.of("dewy", "dewy.jar", "dewy.jsa", "dewy.jsa.version", "jffi")) {
            withCopyFileToContainer(MountableFile.forHostPath(TARGET.resolve(f)), "/opt/dewy/" + f);
        }
        withCopyFileToContainer(MountableFile.forHostPath(JETTY, 0644), "/opt/hello/hello-jetty.jar");
        withStartupTimeout(BOOT);
    }

    /** Builds the image unless the engine has it for this recipe (docker/systemd-image.sh); returns its tag. */
    static synchronized String image(String base) {
        Path log = TARGET.resolve("systemd-image.log");
        try {
            Process p = new ProcessBuilder("docker/systemd-image.sh", base).redirectError(log.toFile()).start();
            String tag = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new AssertionError("docker/systemd-image.sh failed:\n" + Files.readString(log));
            }
            return tag;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Removes the fixed-name container, if a run left it. */
    static void removeLeftover() {
        DockerClient docker = DockerClientFactory.instance().client();
        try {
            docker.removeContainerCmd(NAME).withForce(true).exec();
        } catch (NotFoundException e) {
            // none left: the usual case
        }
    }

    /** Starts the container and waits until systemd has finished booting: every unit started, none failed. */
    SystemdContainer boot() {
        removeLeftover();
        start();
        // Until systemd has made its private bus socket, systemctl cannot ask it anything: "Failed to connect to bus"
        // at once (a CI run met it 2 s after the start). Ask again until it answers, within the boot time.
        long end = System.nanoTime() + BOOT.toNanos();
        ExecResult r;
        do {
            r = run("timeout", BOOT.toSeconds() + "", "systemctl", "is-system-running", "--wait");
        } while (r.getStderr().contains("Failed to connect to bus") && System.nanoTime() < end && pause());
        assertEquals("running", r.getStdout().strip(), "systemd booted: " + r.getStderr()
                + run("systemctl", "--failed", "--no-pager").getStdout());
        return this;
    }

    private static boolean pause() {
        try {
            Thread.sleep(200);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** systemd's own shutdown (SIGRTMIN+3), then the container is removed. */
    void halt() {
        try {
            if (isRunning()) {
                getDockerClient().stopContainerCmd(getContainerId()).withTimeout(30).exec();
            }
        } finally {
            stop();
            removeLeftover();
        }
    }

    // ---- inside ----

    ExecResult run(String... command) {
        try {
            return execInContainer(command);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs a command that must succeed; returns its stdout. */
    String ok(String... command) {
        ExecResult r = run(command);
        assertEquals(0, r.getExitCode(), String.join(" ", command) + ": " + r.getStdout() + r.getStderr());
        return r.getStdout();
    }

    void systemctl(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "systemctl";
        System.arraycopy(args, 0, command, 1, args.length);
        ok(command);
    }

    /** One property of a unit, as {@code systemctl show -p NAME --value} prints it. */
    String show(String unit, String property) {
        return ok("systemctl", "show", "-p", property, "--value", unit).strip();
    }

    /** The journal's position now: {@link #journal(String, String)} from here on. */
    String cursor() {
        String out = ok("journalctl", "-n", "0", "--show-cursor", "--no-pager");
        return out.substring(out.indexOf("-- cursor: ") + "-- cursor: ".length()).strip();
    }

    /** A unit's journal after {@code cursor}, message text only: systemd's lines about it and its output. */
    String journal(String unit, String cursor) {
        return ok("journalctl", "-u", unit, "--after-cursor=" + cursor, "--no-pager", "-o", "cat");
    }

    /** Waits until the unit's journal after {@code cursor} has {@code line} (journald writes it a little later). */
    String awaitJournal(String unit, String cursor, String line) {
        DewyContainer.await("\"" + line + "\" in the journal of " + unit, BOOT,
                () -> journal(unit, cursor).lines().anyMatch(line::equals));
        return journal(unit, cursor);
    }

    /** Writes a file (a unit, a drop-in) into the running container. */
    void write(String path, String content, int mode) {
        copyFileToContainer(Transferable.of(content.getBytes(StandardCharsets.UTF_8), mode), path);
    }

    /** Writes a unit file or drop-in and makes systemd read it. */
    void install(String path, String content) {
        write(path, content, 0644);
        systemctl("daemon-reload");
    }
}
