package dewy.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.posix.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** src/main/dist/dewy must block exactly what dewy handles and start the JVM the way Relaunch would. */
class LauncherScriptTest {
    private static final Path SCRIPT = Path.of("src/main/dist/dewy");
    private static String text;
    /** The exec command, continuation lines joined, split on whitespace. */
    private static List<String> exec;

    @BeforeAll
    static void read() throws IOException {
        assertTrue(Files.isRegularFile(SCRIPT), SCRIPT.toAbsolutePath() + " missing");
        text = Files.readString(SCRIPT);
        String joined = text.replace("\\\n", " ");
        List<String> execLines = joined.lines().filter(l -> !l.trim().startsWith("#"))
                .filter(l -> l.contains("--block-signal=")).toList();
        assertEquals(1, execLines.size(), "one command line with --block-signal=");
        exec = Arrays.asList(execLines.get(0).trim().split("\\s+"));
    }

    private static String valueOf(String prefix) {
        List<String> hits = exec.stream().filter(t -> t.startsWith(prefix)).toList();
        assertEquals(1, hits.size(), prefix + " should appear once in " + exec);
        return hits.get(0).substring(prefix.length());
    }

    @Test
    void blocksExactlyTheHandledSignalsInOrder() {
        List<Integer> blocked = Arrays.stream(valueOf("--block-signal=").split(",")).map(Integer::valueOf).toList();
        assertEquals(Signals.HANDLED.toList(), blocked);
    }

    @Test
    void movesSuspendResumeToTheSignalDewyLeavesOut() {
        assertEquals(Integer.toString(Signals.JVM_SUSPEND_RESUME), valueOf("_JAVA_SR_SIGNUM="));
        assertEquals(Relaunch.SR_SIGNUM + "=", "_JAVA_SR_SIGNUM=");
    }

    @Test
    void runsJavaWithXrsAndExactlyTheTuningFlags() {
        int xrs = exec.indexOf("-Xrs");
        int cds = exec.indexOf("$cds");
        assertTrue(xrs > 0, "-Xrs missing: " + exec);
        assertTrue(cds > xrs, "$cds must follow -Xrs: " + exec);
        assertEquals("\"$java\"", exec.get(xrs - 1), "-Xrs should directly follow the java");
        assertTrue(text.contains("java=${JAVA:-java}"), "JAVA chooses the java, default java on PATH");
        assertEquals(Relaunch.TUNING, exec.subList(xrs + 1, cds));
    }

    @Test
    void userOptionsComeAfterOursAndBeforeTheJar() {
        int cds = exec.indexOf("$cds");
        int opts = exec.indexOf("$DEWY_JAVA_OPTS");
        int jar = exec.indexOf("-jar");
        assertTrue(cds < opts && opts < jar, exec.toString());
        assertEquals("\"$here/dewy.jar\"", exec.get(jar + 1));
        assertEquals("\"$@\"", exec.get(exec.size() - 1));
    }

    @Test
    void cdsFlagsMatchRelaunch() {
        String cdsLine = text.lines().filter(l -> l.trim().startsWith("cds=\"-XX:SharedArchiveFile")).findFirst()
                .orElseThrow();
        String flags = cdsLine.trim().substring("cds=\"".length(), cdsLine.trim().length() - 1);
        List<String> tokens = Arrays.asList(flags.split(" "));
        assertEquals("-XX:SharedArchiveFile=$here/" + Relaunch.CDS_ARCHIVE, tokens.get(0));
        assertEquals(Relaunch.CDS_QUIET, tokens.subList(1, tokens.size()));
        assertTrue(text.contains("[ -f \"$here/" + Relaunch.CDS_ARCHIVE + "\" ]"));
    }

    @Test
    void execsEnvSoThePidIsKept() {
        assertEquals(List.of("exec", "env"), exec.subList(0, 2), "the env line must start with exec: " + exec);
        // Nothing runs after the exec: it is the script's last command.
        List<String> after = text.substring(text.indexOf("exec env")).lines()
                .filter(l -> !l.trim().isEmpty() && !l.trim().startsWith("#"))
                .collect(Collectors.toList());
        assertTrue(after.get(after.size() - 1).trim().endsWith("\"$@\""), after.toString());
        assertTrue(text.startsWith("#!/bin/sh\n"));
    }

    @Test
    void movesTheApplicationsJvmOptionVariablesAsideBeforeTheJvmStarts() {
        for (String name : Relaunch.JVM_OPTION_VARIABLES) {
            String line = "if [ \"${" + name + "+set}\" ]; then export " + Relaunch.SAVED + name + "=\"$" + name
                    + "\"; unset " + name + "; fi";
            assertTrue(text.lines().anyMatch(line::equals), "missing: " + line);
            assertTrue(text.indexOf(line) < text.indexOf("exec env"), "before the JVM starts: " + line);
        }
        assertEquals(Relaunch.JVM_OPTION_VARIABLES.size(),
                text.lines().filter(l -> l.contains("export " + Relaunch.SAVED)).count(), "no other variable");
    }

    /** The script itself, with a java that writes down its environment: set ones saved, unset ones left unset. */
    @Test
    void theJvmGetsNoneOfThemAndTheirValuesAreSaved(@TempDir Path dir) throws Exception {
        Path fakeJava = dir.resolve("java");
        Path env = dir.resolve("env");
        Files.writeString(fakeJava, "#!/bin/sh\nenv > " + env + "\n");
        Files.setPosixFilePermissions(fakeJava, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        ProcessBuilder pb = new ProcessBuilder("sh", SCRIPT.toString(), "server", "--", "true");
        pb.environment().put("JAVA", fakeJava.toString());
        pb.environment().put("JAVA_TOOL_OPTIONS", "-javaagent:/a b.jar=x \"q\" $HOME");
        pb.environment().put("_JAVA_OPTIONS", "");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        Process p = pb.inheritIO().start();
        assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        List<String> seen = Files.readAllLines(env);
        assertTrue(seen.contains("_DEWY_SAVED_JAVA_TOOL_OPTIONS=-javaagent:/a b.jar=x \"q\" $HOME"), seen.toString());
        assertTrue(seen.contains("_DEWY_SAVED__JAVA_OPTIONS="), seen.toString());
        assertTrue(seen.stream().noneMatch(l -> l.startsWith("JAVA_TOOL_OPTIONS=") || l.startsWith("_JAVA_OPTIONS=")
                || l.startsWith("JDK_JAVA_OPTIONS=") || l.startsWith("_DEWY_SAVED_JDK_JAVA_OPTIONS=")), seen.toString());
    }
}
