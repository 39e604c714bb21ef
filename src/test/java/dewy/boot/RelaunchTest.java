package dewy.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelaunchTest {
    private static final List<String> DEWY = List.of("/usr/bin/java", "-jar", "/opt/dewy/dewy.jar", "server",
            "--", "/opt/app/bin/app", "--port", "8080");

    @TempDir
    Path dir;

    private static List<String> concat(Collection<String> a, Collection<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static List<String> without(List<String> list, String... removed) {
        List<String> out = new ArrayList<>(list);
        for (String r : removed) {
            assertTrue(out.remove(r), "TUNING lacks " + r);
        }
        return out;
    }

    @Test
    void tuningIsWhatWasMeasured() {
        assertEquals(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                "-XX:ReservedCodeCacheSize=16m", "-XX:-UsePerfData", "-Xss256k", "-Xms4m", "-Xmx64m",
                "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+UnlockDiagnosticVMOptions",
                "-XX:GuaranteedSafepointInterval=0", "-XX:AsyncDeflationInterval=0",
                "--enable-native-access=ALL-UNNAMED"), Relaunch.TUNING);
    }

    @Test
    void insertsXrsAndTuningRightAfterTheJava() {
        List<String> expected = new ArrayList<>();
        expected.add("/usr/bin/java");
        expected.add("-Xrs");
        expected.addAll(Relaunch.TUNING);
        expected.addAll(DEWY.subList(1, DEWY.size()));
        assertEquals(expected, Relaunch.argv(DEWY, null));
        assertEquals(expected, Relaunch.argv(DEWY, dir)); // no dewy.jsa there
    }

    @Test
    void keepsTheUsersOwnOptionsAfterOurs() {
        List<String> cmd = List.of("java", "-Dfoo=bar", "-cp", "/x.jar", "dewy.Main", "server", "--", "a");
        List<String> argv = Relaunch.argv(cmd, null);
        assertEquals(concat(concat(List.of("java", "-Xrs"), Relaunch.TUNING), cmd.subList(1, cmd.size())), argv);
    }

    private static List<String> tuningAddedFor(String... userOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add("java");
        cmd.addAll(List.of(userOptions));
        cmd.addAll(List.of("-jar", "dewy.jar", "server", "--", "app"));
        List<String> argv = Relaunch.argv(cmd, null);
        assertEquals("java", argv.get(0));
        assertEquals("-Xrs", argv.get(1));
        assertEquals(cmd.subList(1, cmd.size()), argv.subList(argv.size() - cmd.size() + 1, argv.size()),
                "the original arguments must follow unchanged");
        return argv.subList(2, argv.size() - cmd.size() + 1);
    }

    @Test
    void userHeapSuppressesOurs() {
        assertEquals(without(Relaunch.TUNING, "-Xmx64m"), tuningAddedFor("-Xmx1g"));
        assertEquals(without(Relaunch.TUNING, "-Xms4m", "-Xss256k"), tuningAddedFor("-Xms1g", "-Xss1m"));
    }

    @Test
    void anyCollectorSuppressesSerialGc() {
        assertEquals(without(Relaunch.TUNING, "-XX:+UseSerialGC"), tuningAddedFor("-XX:+UseG1GC"));
        assertEquals(without(Relaunch.TUNING, "-XX:+UseSerialGC"), tuningAddedFor("-XX:+UseZGC"));
        assertEquals(without(Relaunch.TUNING, "-XX:+UseSerialGC"), tuningAddedFor("-XX:+UseParallelGC"));
        // a flag that merely ends in GC chooses no collector
        assertEquals(Relaunch.TUNING, tuningAddedFor("-XX:+UseMaximumCompactionOnSystemGC"));
    }

    @Test
    void sameXxOptionSuppressesOurs() {
        assertEquals(without(Relaunch.TUNING, "-XX:TieredStopAtLevel=1"), tuningAddedFor("-XX:TieredStopAtLevel=4"));
        assertEquals(without(Relaunch.TUNING, "-XX:-UsePerfData"), tuningAddedFor("-XX:+UsePerfData"));
        assertEquals(without(Relaunch.TUNING, "-XX:ReservedCodeCacheSize=16m", "-XX:CICompilerCount=1"),
                tuningAddedFor("-XX:ReservedCodeCacheSize=64m", "-XX:CICompilerCount=2"));
    }

    @Test
    void unrelatedOptionsSuppressNothing() {
        assertEquals(Relaunch.TUNING, tuningAddedFor("-XX:+UseCompressedOops", "-XX:MaxRAMPercentage=50",
                "-Dx=-Xmx1g", "-Xshare:auto", "-ea"));
    }

    @Test
    void programArgumentsAreNotJvmOptions() {
        List<String> cmd = List.of("java", "-jar", "dewy.jar", "server", "--", "java", "-Xmx1g", "-XX:+UseG1GC",
                "-XX:TieredStopAtLevel=4", "-jar", "app.jar");
        List<String> argv = Relaunch.argv(cmd, null);
        assertEquals(concat(concat(List.of("java", "-Xrs"), Relaunch.TUNING), cmd.subList(1, cmd.size())), argv);
    }

    @Test
    void mainClassEndsTheJvmOptions() {
        List<String> cmd = List.of("java", "-cp", "-Xmx1g", "dewy.Main", "-Xmx2g", "server");
        // "-Xmx1g" is the class path's value here, "-Xmx2g" a program argument: neither is a JVM option.
        assertEquals(List.of("-cp"), Relaunch.jvmOptions(cmd));
        assertTrue(Relaunch.argv(cmd, null).contains("-Xmx64m"));
    }

    @Test
    void jvmOptionsStopsAtJarAndModule() {
        assertEquals(List.of("-Xmx1g"), Relaunch.jvmOptions(List.of("java", "-Xmx1g", "-jar", "d.jar", "-Xss1m")));
        assertEquals(List.of("-p", "-Xss1m"),
                Relaunch.jvmOptions(List.of("java", "-p", "mods", "-Xss1m", "-m", "dewy/dewy.Main", "-Xmx1g")));
        assertEquals(List.of(), Relaunch.jvmOptions(List.of("java")));
    }

    @Test
    void setsSameOption() {
        assertTrue(Relaunch.setsSameOption(List.of("-Xmx1g"), "-Xmx64m"));
        assertTrue(Relaunch.setsSameOption(List.of("-XX:+UseShenandoahGC"), "-XX:+UseSerialGC"));
        assertTrue(Relaunch.setsSameOption(List.of("-XX:+UsePerfData"), "-XX:-UsePerfData"));
        assertFalse(Relaunch.setsSameOption(List.of("-Xms1g"), "-Xmx64m"));
        assertFalse(Relaunch.setsSameOption(List.of("-XX:+UseCompressedOops"), "-XX:+UseSerialGC"));
        assertFalse(Relaunch.setsSameOption(List.of("-XX:TieredCompilation"), "-XX:TieredStopAtLevel=1"));
        assertFalse(Relaunch.setsSameOption(List.of(), "-Xss256k"));
    }

    /** An archive as the build leaves it: written by the JVM running these tests. */
    private void archiveFromThisJvm() throws IOException {
        Files.writeString(dir.resolve("dewy.jsa"), "archive");
        Files.writeString(dir.resolve("dewy.jsa.version"), System.getProperty("java.runtime.version") + "\n");
    }

    @Test
    void cdsArchiveFromAnotherJvmOrWithoutItsVersionIsNotUsed() throws IOException {
        Files.writeString(dir.resolve("dewy.jsa"), "archive");
        assertFalse(String.join(" ", Relaunch.argv(DEWY, dir)).contains("SharedArchiveFile"), "no version file");
        Files.writeString(dir.resolve("dewy.jsa.version"), "25.0.3+9-LTS\n");
        assertFalse(String.join(" ", Relaunch.argv(DEWY, dir)).contains("SharedArchiveFile"), "another JVM's");
    }

    @Test
    void cdsArchiveIsUsedWhenPresent() throws IOException {
        archiveFromThisJvm();
        List<String> argv = Relaunch.argv(DEWY, dir);
        List<String> expected = new ArrayList<>();
        expected.add("/usr/bin/java");
        expected.add("-Xrs");
        expected.addAll(Relaunch.TUNING);
        expected.add("-XX:SharedArchiveFile=" + dir.resolve("dewy.jsa"));
        expected.addAll(Relaunch.CDS_QUIET);
        expected.addAll(DEWY.subList(1, DEWY.size()));
        assertEquals(expected, argv);
    }

    @Test
    void cdsArchiveMustBeARegularFile() throws IOException {
        Files.createDirectory(dir.resolve("dewy.jsa"));
        Files.writeString(dir.resolve("dewy.jsa.version"), System.getProperty("java.runtime.version"));
        assertFalse(String.join(" ", Relaunch.argv(DEWY, dir)).contains("SharedArchiveFile"));
    }

    @Test
    void userCdsChoiceWins() throws IOException {
        archiveFromThisJvm();
        for (String opt : List.of("-Xshare:off", "-XX:SharedArchiveFile=/other.jsa")) {
            List<String> cmd = List.of("java", opt, "-jar", "dewy.jar", "server", "--", "app");
            List<String> argv = Relaunch.argv(cmd, dir);
            assertEquals(1, argv.stream().filter(a -> a.startsWith("-XX:SharedArchiveFile") || a.startsWith("-Xshare"))
                    .count(), opt + ": " + argv);
            assertFalse(argv.containsAll(Relaunch.CDS_QUIET), opt + ": " + argv);
            assertTrue(argv.contains(opt));
        }
        // ...but only when it is a JVM option, not the application's
        List<String> cmd = List.of("java", "-jar", "dewy.jar", "server", "--", "java", "-Xshare:off", "-jar", "a");
        assertTrue(Relaunch.argv(cmd, dir).contains("-XX:SharedArchiveFile=" + dir.resolve("dewy.jsa")));
    }

    @Test
    void envAddsGuardAndSuspendResumeSignal() {
        Map<String, String> env = Map.of("PATH", "/usr/bin", "HOME", "/root", "A", "x=y");
        List<String> out = Relaunch.env(env);
        assertEquals(5, out.size());
        assertTrue(out.containsAll(List.of("PATH=/usr/bin", "HOME=/root", "A=x=y", "_JAVA_SR_SIGNUM=63",
                "_DEWY_RELAUNCHED=1")), out.toString());
    }

    @Test
    void envOverridesAnInheritedSuspendResumeSignal() {
        List<String> out = Relaunch.env(Map.of("_JAVA_SR_SIGNUM", "12"));
        assertEquals(List.of("_DEWY_RELAUNCHED=1", "_JAVA_SR_SIGNUM=63"), out.stream().sorted().toList());
    }

    @Test
    void applicationEnvDropsOnlyDewysJvmVariables() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", "/usr/bin");
        env.put("_JAVA_SR_SIGNUM", "63");
        env.put("_DEWY_RELAUNCHED", "1");
        env.put("DEWY_LOG_LEVEL", "debug");
        env.put("JAVA_TOOL_OPTIONS", "-Xmx1g");
        env.put("EMPTY", "");
        List<String> out = Relaunch.applicationEnv(env);
        assertEquals(List.of("DEWY_LOG_LEVEL=debug", "EMPTY=", "JAVA_TOOL_OPTIONS=-Xmx1g", "PATH=/usr/bin"),
                out.stream().sorted().toList());
    }

    @Test
    void applicationEnvOfRelaunchedEnvIsTheOriginal() {
        Map<String, String> env = Map.of("PATH", "/bin", "X", "1");
        Map<String, String> relaunched = new HashMap<>();
        for (String e : Relaunch.env(env)) {
            int eq = e.indexOf('=');
            relaunched.put(e.substring(0, eq), e.substring(eq + 1));
        }
        assertEquals(List.of("PATH=/bin", "X=1"), Relaunch.applicationEnv(relaunched).stream().sorted().toList());
    }

    @Test
    void alreadyRelaunched() {
        assertTrue(Relaunch.alreadyRelaunched(Map.of("_DEWY_RELAUNCHED", "1")));
        assertTrue(Relaunch.alreadyRelaunched(Map.of("_DEWY_RELAUNCHED", "")));
        assertFalse(Relaunch.alreadyRelaunched(Map.of("_JAVA_SR_SIGNUM", "63")));
        assertFalse(Relaunch.alreadyRelaunched(Map.of()));
    }

    private static Map<String, String> map(List<String> entries) {
        Map<String, String> m = new HashMap<>();
        for (String e : entries) {
            int eq = e.indexOf('=');
            m.put(e.substring(0, eq), e.substring(eq + 1));
        }
        return m;
    }

    /** The first JVM loaded them already (nothing to be done about that); the re-executed one must not. */
    @Test
    void theReExecutedJvmGetsNoJvmOptionVariables() {
        Map<String, String> env = new HashMap<>(Map.of("PATH", "/bin", "JAVA_TOOL_OPTIONS", "-javaagent:/apm.jar",
                "JDK_JAVA_OPTIONS", ""));
        Map<String, String> relaunched = map(Relaunch.env(env));
        assertFalse(relaunched.containsKey("JAVA_TOOL_OPTIONS"));
        assertFalse(relaunched.containsKey("JDK_JAVA_OPTIONS"));
        assertFalse(relaunched.containsKey("_JAVA_OPTIONS"));
        assertEquals("-javaagent:/apm.jar", relaunched.get("_DEWY_SAVED_JAVA_TOOL_OPTIONS"));
        assertEquals("", relaunched.get("_DEWY_SAVED_JDK_JAVA_OPTIONS"));
        assertFalse(relaunched.containsKey("_DEWY_SAVED__JAVA_OPTIONS"), "unset stays unset");
        // and the application gets them back as they were: set ones unchanged, unset ones unset
        Map<String, String> app = map(Relaunch.applicationEnv(relaunched));
        assertEquals(Map.of("PATH", "/bin", "JAVA_TOOL_OPTIONS", "-javaagent:/apm.jar"), app,
                "an empty one counts as unset: the image entrypoint cannot tell the two apart");
    }

    @Test
    void applicationEnvGivesBackWhatTheLauncherOrTheEntrypointSaved() {
        // the image entrypoint (env -S) saves all three, "" for the unset ones, and unsets them
        Map<String, String> entrypoint = Map.of("PATH", "/bin", "_DEWY_SAVED_JAVA_TOOL_OPTIONS", "-Xmx1g -javaagent:/a.jar",
                "_DEWY_SAVED_JDK_JAVA_OPTIONS", "", "_DEWY_SAVED__JAVA_OPTIONS", "", "_JAVA_SR_SIGNUM", "63");
        assertEquals(List.of("JAVA_TOOL_OPTIONS=-Xmx1g -javaagent:/a.jar", "PATH=/bin"),
                Relaunch.applicationEnv(entrypoint));
        // a relaunch after the launcher keeps the launcher's copy, and a variable set besides it is dewy's own
        Map<String, String> both = Map.of("_DEWY_SAVED__JAVA_OPTIONS", "-Dapp=1", "_JAVA_OPTIONS", "-Ddewy=1");
        assertEquals("-Dapp=1", map(Relaunch.env(both)).get("_DEWY_SAVED__JAVA_OPTIONS"));
        assertEquals(List.of("_JAVA_OPTIONS=-Dapp=1"), Relaunch.applicationEnv(both));
        // nothing saved (java started some other way with the mask already blocked): left as it is
        assertEquals(List.of("JAVA_TOOL_OPTIONS=-Dx=1"), Relaunch.applicationEnv(Map.of("JAVA_TOOL_OPTIONS", "-Dx=1")));
    }
}
