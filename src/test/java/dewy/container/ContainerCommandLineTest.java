package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.UsageException;
import dewy.log.Log;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerCommandLineTest {
    private static final String REG = "img://ghcr.io/owner/myapp";

    private static ContainerConfig parse(String... args) throws UsageException {
        return ContainerCommandLine.parse(List.of(args));
    }

    /** The UsageException's message, checked to be one line. */
    private static String error(String... args) {
        UsageException e = assertThrows(UsageException.class, () -> parse(args));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void goDewysDefaults() throws UsageException {
        ContainerConfig c = parse("--registry", REG, "-p", "8080");
        assertEquals(REG, c.registry());
        assertEquals("myapp", c.name(), "Go dewy's name: the registry's last path segment");
        assertEquals("127.0.0.1", c.proxy().getAddress().getHostAddress());
        assertEquals(8080, c.proxy().getPort());
        assertEquals(1, c.replicas());
        assertNull(c.healthPath());
        assertEquals(Duration.ofSeconds(30), c.healthTimeout());
        assertEquals(Duration.ofSeconds(30), c.drainTime());
        assertEquals(Duration.ofSeconds(10), c.stopTimeout());
        assertEquals(Duration.ofSeconds(300), c.proxyIdleTimeout());
        assertEquals(Duration.ofSeconds(10), c.interval());
        assertEquals("docker", c.runtime());
        assertEquals(List.of(), c.command());
        assertEquals(RunOptions.none(), c.runOptions());
        assertEquals(Log.Level.INFO, c.logLevel());
        assertEquals(Log.Format.TEXT, c.logFormat());
    }

    @Test
    void everyFlagInEveryForm() throws UsageException {
        ContainerConfig c = parse("--registry=" + REG + "?pre-release=true", "--port=0.0.0.0:9090", "--replicas", "3",
                "--health-path", "/health", "--health-timeout", "45s", "--drain-time=5", "--stop-timeout", "2s",
                "-n", "web", "--runtime", "docker", "--proxy-idle-timeout", "0", "--cmd", "serve", "--cmd=--fast",
                "-i500ms", "--calver", "YYYY.0M0D.MICRO", "--notifier", "webhook+https://example.com/a",
                "-l", "debug", "-f=json");
        assertEquals("0.0.0.0", c.proxy().getAddress().getHostAddress());
        assertEquals(9090, c.proxy().getPort());
        assertEquals(3, c.replicas());
        assertEquals("/health", c.healthPath());
        assertEquals(Duration.ofSeconds(45), c.healthTimeout());
        assertEquals(Duration.ofSeconds(5), c.drainTime(), "a bare number is seconds, as Go dewy's int flags");
        assertEquals(Duration.ofSeconds(2), c.stopTimeout());
        assertEquals("web", c.name());
        assertTrue(c.proxyIdleTimeout().toDays() > 3650, "0 disables the idle timeout");
        assertEquals(List.of("serve", "--fast"), c.command());
        assertEquals(Duration.ofMillis(500), c.interval());
        assertEquals("YYYY.0M0D.MICRO", c.calver());
        assertEquals(List.of("webhook+https://example.com/a"), c.notifiers());
        assertEquals(Log.Level.DEBUG, c.logLevel());
        assertEquals(Log.Format.JSON, c.logFormat());
        assertEquals("myapp", ContainerCommandLine.appName("img://ghcr.io/owner/myapp:latest?x=1"));
    }

    @Test
    void engineRunOptionsAfterTheSeparator() throws UsageException {
        ContainerConfig c = parse("--registry", REG, "-p", "8080", "--", "-e", "A=1", "--env=B=2", "-eC=3",
                "-v", "/data:/data:ro", "--volume", "/cache", "-l", "team=web", "--label=tier", "-u", "1000:1000",
                "--workdir", "/app", "--entrypoint", "/bin/app");
        RunOptions o = c.runOptions();
        assertEquals(List.of("A=1", "B=2", "C=3"), o.env());
        assertEquals(List.of("/data:/data:ro", "/cache"), o.volumes());
        assertEquals(Map.of("team", "web", "tier", ""), o.labels());
        assertEquals("1000:1000", o.user());
        assertEquals("/app", o.workdir());
        assertEquals("/bin/app", o.entrypoint());
    }

    /** Go dewy's validateExtraArgs cases (container/docker_test.go), with its messages. */
    @Test
    void goDewysForbiddenOptionsOneLineEach() {
        List<String[]> cases = new ArrayList<>();
        for (String f : RunOptions.FORBIDDEN_LONG) {
            cases.add(new String[] {f, "option " + f + " conflicts with Dewy management and cannot be used"});
            cases.add(new String[] {f + "=x", "option " + f + " conflicts with Dewy management and cannot be used"});
        }
        for (String f : List.of("-d", "-i", "-t", "-p", "-dit", "-itd", "-p8080:80")) {
            cases.add(new String[] {f, "option -" + f.charAt(1) + " conflicts with Dewy management and cannot be used"});
        }
        for (String[] c : cases) {
            assertEquals(c[1], error("--registry", REG, "-p", "8080", "--", "-e", "A=1", c[0]), c[0]);
        }
        assertEquals("label \"dewy.app=x\" uses reserved prefix \"dewy.\" and cannot be used",
                error("--registry", REG, "-p", "8080", "--", "--label", "dewy.app=x"));
        assertEquals("label \"dewy.managed=false\" uses reserved prefix \"dewy.\" and cannot be used",
                error("--registry", REG, "-p", "8080", "--", "-ldewy.managed=false"));
    }

    @Test
    void oneLineUsageErrors() {
        assertEquals("--registry is required for container command (img://REGISTRY/REPO)", error("-p", "8080"));
        assertEquals("--port option is required for container command", error("--registry", REG));
        assertTrue(error("--registry", "ghr://o/r", "-p", "1").contains("needs an img://REGISTRY/REPO registry"));
        assertTrue(error("--registry", REG, "-p", "8080:80").startsWith("--port 8080:80: PROXY:CONTAINER maps a port"));
        assertEquals("--port 70000: port number must be between 1 and 65535, got 70000",
                error("--registry", REG, "-p", "70000"));
        assertEquals("--port x: invalid port: x", error("--registry", REG, "-p", "x"));
        assertEquals("flag --port given twice (one proxy port for now)",
                error("--registry", REG, "-p", "1", "-p", "2"));
        assertEquals("--replicas: \"0\" is not a whole number from 1 to 100",
                error("--registry", REG, "-p", "1", "--replicas", "0"));
        assertEquals("--health-timeout: must be more than 0",
                error("--registry", REG, "-p", "1", "--health-timeout", "0"));
        assertTrue(error("--registry", REG, "-p", "1", "--drain-time", "soon").startsWith("--drain-time: "));
        assertEquals("--health-path health: not an absolute HTTP path (/health)",
                error("--registry", REG, "-p", "1", "--health-path", "health"));
        assertTrue(error("--registry", REG, "-p", "1", "--runtime", "podman").contains("only docker"));
        assertEquals("--admin-port: the admin API of dewy container is not built yet",
                error("--registry", REG, "-p", "1", "--admin-port", "17539"));
        assertEquals("unknown flag --bogus (engine run options go after --)",
                error("--registry", REG, "-p", "1", "--bogus=1"));
        assertEquals("unexpected \"nginx\": engine run options go after --", error("--registry", REG, "nginx"));
        assertEquals("flag --replicas needs a value (N)", error("--registry", REG, "-p", "1", "--replicas"));
        assertTrue(error("--registry", REG, "-p", "1", "--", "--memory", "1g")
                .startsWith("engine option \"--memory\" after --: dewy container passes only"));
        assertTrue(error("--registry", REG, "-p", "1", "--", "--network", "bridge")
                .contains("every replica runs with the host's network"));
        assertEquals("engine option -e needs a value", error("--registry", REG, "-p", "1", "--", "-e"));
        assertTrue(error("--registry", REG, "-p", "1", "-n", "a b").startsWith("--name a b: "));
    }

    @Test
    void helpBeforeTheSeparatorOnly() {
        assertTrue(ContainerCommandLine.wantsHelp(List.of("--registry", REG, "-h")));
        assertTrue(!ContainerCommandLine.wantsHelp(List.of("--", "-h")));
        assertTrue(ContainerCommandLine.help().contains("--health-timeout DURATION"));
    }
}
