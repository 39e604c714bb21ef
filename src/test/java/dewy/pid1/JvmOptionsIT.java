package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.container.ImageEntrypoint;
import dewy.pid1.Dewy.Mode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What reaches dewy's own JVM and what reaches the application's: JVM options, their variables, agents. */
class JvmOptionsIT {
    @TempDir
    Path tmp;

    /** A JDK without one of the launcher's diagnostic flags must not crash-loop the container. */
    @Test
    void aJvmOptionTheJvmDoesNotKnowIsIgnored() throws Exception {
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, Map.of("DEWY_JAVA_OPTS", "-XX:+SomeFlagThatDoesNotExist"),
                "--", "true")) {
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(30)), dewy.log());
        }
    }

    /**
     * Kubernetes sets JAVA_TOOL_OPTIONS (and JDK_JAVA_OPTIONS, _JAVA_OPTIONS) for the application, often with an APM
     * agent: a real agent, built here, writes one line per JVM that loads it. Under the launcher and the image's
     * entrypoint (both PID 1) dewy's JVM never loads it; under plain {@code java -jar dewy.jar} the first JVM has,
     * before dewy's main runs, but the re-executed one does not. The Java application gets the variables exactly as
     * they were, an unset one unset, and none of dewy's saved copies.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"launcher", "entrypoint", "relaunch"})
    void theApplicationsJvmLoadsTheAgentAndDewysDoesNot(String how) throws Exception {
        Path agent = agentJar();
        Path classes = compile("App", """
                import java.nio.file.*;
                public class App {
                    public static void main(String[] args) throws Exception {
                        StringBuilder out = new StringBuilder();
                        for (String name : new String[] {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"}) {
                            out.append(name).append('=').append(System.getenv().getOrDefault(name, "(unset)"))
                                    .append('\\n');
                        }
                        System.getenv().keySet().stream().filter(k -> k.startsWith("_DEWY_")).sorted()
                                .forEach(k -> out.append("leaked ").append(k).append('\\n'));
                        Files.writeString(Path.of(args[0]), out.toString());
                    }
                }
                """);
        Path marker = tmp.resolve("loaded");
        Path seen = tmp.resolve("seen");
        String tool = "-javaagent:" + agent + "=" + marker + "|JAVA_TOOL_OPTIONS";
        String jdk = "-javaagent:" + agent + "=" + marker + "|JDK_JAVA_OPTIONS -Dfrom.jdk=1";
        Map<String, String> env = new HashMap<>(Map.of("JAVA_TOOL_OPTIONS", tool, "JDK_JAVA_OPTIONS", jdk));
        String[] app = {"--", Dewy.JAVA, "-cp", classes.toString(), "App", seen.toString()};
        try (Dewy dewy = switch (how) {
            case "launcher" -> Dewy.start(Mode.PID1, tmp, env, app);
            case "relaunch" -> Dewy.start(Mode.PID1_RELAUNCH, tmp, env, app);
            default -> Dewy.startCommand(entrypoint(), tmp, env, app);
        }) {
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(60)), dewy.log());
        }
        List<String> loaded = Dewy.lines(marker);
        // "TAG PID MAIN ARGS...": dewy's main is dewy.Main or its jar; the application's arguments follow it
        List<String> inDewy = loaded.stream().filter(l -> l.split(" ")[2].matches("dewy\\.Main|.*/dewy\\.jar"))
                .toList();
        List<String> inApp = loaded.stream().filter(l -> l.split(" ")[2].equals("App")).toList();
        assertEquals(loaded.size(), inDewy.size() + inApp.size(), loaded.toString());
        assertEquals(List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"), inApp.stream().map(l -> l.split(" ")[0])
                .sorted().toList(), "the application's JVM loads both: " + loaded);
        if (how.equals("relaunch")) {
            // the first JVM took them before dewy's main could do anything; the re-executed one must not again
            assertEquals(List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"), inDewy.stream().map(l -> l.split(" ")[0])
                    .sorted().toList(), "once, in the JVM before the re-exec: " + loaded);
        } else {
            assertEquals(List.of(), inDewy, "dewy's own JVM never loads them");
        }
        assertEquals(List.of("JAVA_TOOL_OPTIONS=" + tool, "JDK_JAVA_OPTIONS=" + jdk, "_JAVA_OPTIONS=(unset)"),
                Dewy.lines(seen), "exactly as they were, and nothing of dewy's");
    }

    /** The image's entrypoint words, run on this machine: target/ stands in for /app. */
    private static List<String> entrypoint() {
        List<String> words = new ArrayList<>();
        for (String w : ImageEntrypoint.expected(false)) {
            words.add(w.equals(ImageEntrypoint.INSTALL_DIR + "/dewy.jar") ? Dewy.TARGET.resolve("dewy.jar").toString()
                    : w);
        }
        return words;
    }

    /** An agent whose premain appends "TAG PID COMMAND" to the file its argument names ("FILE|TAG"). */
    private Path agentJar() throws IOException {
        Path classes = compile("Agent", """
                import java.nio.file.*;
                public class Agent {
                    public static void premain(String args) throws Exception {
                        int bar = args.lastIndexOf('|');
                        Files.writeString(Path.of(args.substring(0, bar)), args.substring(bar + 1) + " "
                                + ProcessHandle.current().pid() + " " + System.getProperty("sun.java.command") + "\\n",
                                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                }
                """);
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), "Agent");
        Path jar = tmp.resolve("agent.jar");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
            out.putNextEntry(new JarEntry("Agent.class"));
            out.write(Files.readAllBytes(classes.resolve("Agent.class")));
            out.closeEntry();
        }
        return jar;
    }

    private Path compile(String name, String source) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("classes-" + name));
        Path file = dir.resolve(name + ".java");
        Files.writeString(file, source);
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", dir.toString(), file.toString());
        assertTrue(rc == 0, "javac " + name);
        return dir;
    }
}
