package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.posix.Posix;
import dewy.posix.Signals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * dewy as PID 1 and session leader of a terminal ({@code docker run -it}): each generation is the terminal's
 * foreground process group (tini's tcsetpgrp), so it reads stdin without SIGTTIN and Ctrl-C reaches it; when it
 * exits, dewy takes the foreground back, and the next generation gets it again. Readiness checks never get it.
 * Both ways of handing it over: in the child (glibc 2.35's addtcsetpgrp_np) and from dewy after the spawn. And
 * dewy as an interactive shell's job, where Ctrl-Z must still stop the job as the shell sees it.
 */
class TerminalIT {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"in-child", "from-dewy"})
    void eachGenerationOwnsTheTerminalAndDewyTakesItBack(String how) throws Exception {
        Path signals = tmp.resolve("signals");
        Path checks = tmp.resolve("checks");
        // each generation reads a line from the terminal, prints it, then records every signal it gets
        String app = "IFS= read -r line; echo \"got: $line\"; exec " + TestApp.path() + " record " + signals;
        // the readiness check records its own process group and the terminal's foreground (fields 5 and 8)
        String check = "exec:cut -d' ' -f5,8 /proc/$$/stat >> " + checks;
        Map<String, String> env = how.equals("from-dewy")
                ? Map.of("DEWY_JAVA_OPTS", "-D" + Posix.WITHOUT_PROPERTY + "=tcsetpgrp") : Map.of();
        try (Dewy dewy = Dewy.startInTerminal(tmp, env, "--log-level", "debug", "--restart", "always",
                "--restart-delay", "2s", "--ready", check, "--", "/bin/sh", "-c", app)) {
            dewy.awaitStarted(); // logged right after the spawn; before it, the launcher's subshells are dewy's children
            int first = dewy.app();
            holdsTheTerminalAndReadsIt(dewy, first, "hello");
            Dewy.awaitLines(signals, "ready", 1, Duration.ofSeconds(10));
            for (String line : Dewy.lines(checks)) {
                String[] groupAndForeground = line.split(" ");
                assertNotEquals(groupAndForeground[0], groupAndForeground[1],
                        "a readiness check runs in the background: " + line);
            }

            dewy.type("\u0003"); // Ctrl-C
            Dewy.awaitLines(signals, "sig " + Signals.SIGINT, 1, Duration.ofSeconds(10));
            assertEquals(0, dewy.countLog("signal=SIGINT"), "Ctrl-C went to the application, not to dewy");
            assertTrue(dewy.alive());

            Dewy.kill(first, Signals.SIGTERM); // it exits 0; --restart always starts generation 2 after 2 s
            Dewy.await("dewy to take the terminal back", Duration.ofSeconds(10),
                    () -> Dewy.terminalForeground(dewy.pid()) == dewy.pid());
            dewy.awaitLog("msg=\"terminal handed back\"", 1, Duration.ofSeconds(5));
            dewy.awaitLog("msg=started generation=2", 1, Duration.ofSeconds(15));
            holdsTheTerminalAndReadsIt(dewy, dewy.app(), "again");
            String used = how.equals("in-child") ? "\"posix_spawn_file_actions_addtcsetpgrp_np (in the child)\""
                    : "\"tcsetpgrp from dewy right after the spawn, then SIGCONT\"";
            assertEquals(1, dewy.countLog("terminal=" + used), dewy.log());

            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(15)), dewy.log());
        }
    }

    /** The generation whose main process is {@code pid} is the terminal's foreground and reads a line typed there. */
    private static void holdsTheTerminalAndReadsIt(Dewy dewy, int pid, String line) {
        Dewy.await(pid + " to be the terminal's foreground", Duration.ofSeconds(10),
                () -> Dewy.terminalForeground(dewy.pid()) == pid);
        dewy.type(line + "\n");
        Dewy.await(pid + " to read the line", Duration.ofSeconds(10), () -> dewy.screen().contains("got: " + line));
    }

    /**
     * dewy (not PID 1) as an interactive shell's foreground job: the application holds the terminal, so Ctrl-Z
     * stops it and not dewy; dewy then stops too, so the shell sees its job stop and gets its prompt back, and on
     * {@code fg} the application has the terminal again.
     */
    @Test
    void ctrlZStopsTheJobAndFgGivesTheApplicationTheTerminalAgain() throws Exception {
        String app = "IFS= read -r line; echo \"got: $line\"; IFS= read -r line; echo \"got: $line\"; exit 3";
        try (Dewy dewy = Dewy.startAsShellJob(tmp, Map.of(), "--log-level", "debug", "--", "/bin/sh", "-c", app)) {
            dewy.awaitStarted();
            dewy.type("one\n");
            Dewy.await("the application to read the first line", Duration.ofSeconds(10),
                    () -> dewy.screen().contains("got: one"));
            dewy.type("\u001a"); // Ctrl-Z
            Dewy.await("the shell to see its job stop", Duration.ofSeconds(10),
                    () -> dewy.screen().contains("[job stopped]"));
            assertEquals('T', Dewy.state(dewy.pid()), "dewy stopped with the application");
            dewy.resumeJob();
            Dewy.await("the shell to resume the job", Duration.ofSeconds(10),
                    () -> dewy.screen().contains("[job continued]"));
            dewy.type("two\n");
            Dewy.await("the application to read the second line", Duration.ofSeconds(10),
                    () -> dewy.screen().contains("got: two"));
            assertEquals(3, dewy.awaitExit(Duration.ofSeconds(15)), dewy.log());
        }
    }
}
