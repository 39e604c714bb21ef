package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.CommandLine;
import dewy.cli.Config;
import dewy.cli.Durations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker/systemd/dewy.service and dewy-reload.service start a command line dewy accepts, and their stop timing leaves
 * dewy time to drain.
 */
class SystemdUnitTest {
    private static Map<String, String> service;
    private static Map<String, String> reload;

    @BeforeAll
    static void read() throws Exception {
        service = unit("docker/systemd/dewy.service");
        reload = unit("docker/systemd/dewy-reload.service");
    }

    private static Map<String, String> unit(String path) throws Exception {
        Map<String, String> service = new HashMap<>();
        String section = "";
        for (String line : Files.readAllLines(Path.of(path))) {
            if (line.startsWith("[")) {
                section = line;
            } else if (section.equals("[Service]") && line.contains("=") && !line.startsWith("#")) {
                String key = line.substring(0, line.indexOf('='));
                assertTrue(service.put(key, line.substring(key.length() + 1)) == null, "one " + key);
            }
        }
        return service;
    }

    @Test
    void notifyReloadSendsUsr1AndItsTimeoutsCoverDewysOwn() throws Exception {
        assertEquals("notify-reload", reload.get("Type"));
        assertEquals("SIGUSR1", reload.get("ReloadSignal"), "dewy's zero-downtime restart");
        assertTrue(!reload.containsKey("ExecReload"), "systemd sends the signal and waits for READY=1");
        List<String> words = Arrays.asList(reload.get("ExecStart").split("\\s+"));
        assertEquals("server", words.get(1));
        Config config = CommandLine.parseServer(words.subList(2, words.size()), Map.of());
        assertTrue(Durations.parse(reload.get("TimeoutStopSec")).compareTo(config.gracePeriod()) > 0);
        assertTrue(Durations.parse(reload.get("WatchdogSec")).compareTo(Duration.ofSeconds(2)) >= 0,
                "dewy pings every half of it from its loop");
        assertEquals("mixed", reload.get("KillMode"));
    }

    @Test
    void execStartIsTheLauncherWithFlagsDewyAccepts() throws Exception {
        List<String> words = Arrays.asList(service.get("ExecStart").split("\\s+"));
        assertTrue(words.get(0).startsWith("/") && words.get(0).endsWith("/dewy"), "the launcher, absolute: " + words);
        assertEquals("server", words.get(1));
        Config config = CommandLine.parseServer(words.subList(2, words.size()), Map.of());
        assertEquals(List.of("/opt/hello/bin/hello", "--config", "/etc/hello/hello.conf"), config.command());
        assertEquals(Duration.ofSeconds(20), config.gracePeriod());
    }

    @Test
    void reloadIsAGracefulRestartAndStopIsDewysDrain() throws Exception {
        assertEquals("/bin/kill -USR1 $MAINPID", service.get("ExecReload"));
        assertEquals("notify", service.get("Type"), "dewy sends READY=1 itself, as $MAINPID (the launcher execs)");
        assertTrue(!service.containsKey("NotifyAccess"), "the default, main: only dewy may say READY=1");
        assertEquals("mixed", service.get("KillMode"), "TERM to dewy alone; it stops the server itself");
        assertEquals("143", service.get("SuccessExitStatus"), "dewy exits 143 when TERM ended the server");
        List<String> words = Arrays.asList(service.get("ExecStart").split("\\s+"));
        Config config = CommandLine.parseServer(words.subList(2, words.size()), Map.of());
        Duration timeout = Durations.parse(service.get("TimeoutStopSec"));
        assertTrue(timeout.compareTo(config.gracePeriod()) > 0, "TimeoutStopSec must exceed --grace-period");
    }
}
