package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dewy.pid1.Dewy.Mode;
import dewy.pid1.HttpLoad.Kind;
import dewy.pid1.HttpLoad.Outcome;
import dewy.pid1.HttpLoad.Target;
import dewy.posix.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java example apps that come from Maven Central (docker/examples/pom.xml, built by src/build/java-apps.sh in
 * {@code mvn verify} before the process tests), run under dewy as PID 1 with {@code --port 127.0.0.1:P=0 --ready
 * notify --success-exit-status 143}, and what the tests do with them: a swap gated by a slow start-up, restarts
 * under a nonstop load.
 */
final class JavaApps {
    static final Path EXAMPLES = Path.of(System.getProperty("dewy.examples", "docker/examples")).toAbsolutePath();
    static final String BOOT3 = "spring-boot/target/hello-spring-boot.jar";
    static final String BOOT4 = "spring-boot/variants/boot4/target/hello-spring-boot4.jar";
    static final String BOOT3_JETTY = "spring-boot/variants/jetty/target/hello-spring-boot-jetty.jar";
    static final String BOOT4_JETTY = "spring-boot/variants/boot4-jetty/target/hello-spring-boot4-jetty.jar";
    static final String JETTY = "jetty/target/hello-jetty.jar";
    /** Read by each generation at its start: extra arguments for the app ({@link #appArgs}). */
    static final String ARGS_FILE = "app-args";

    private JavaApps() {
    }

    static Path jar(String relative) {
        Path jar = EXAMPLES.resolve(relative);
        if (!Files.isRegularFile(jar)) {
            fail(jar + " is missing: `mvn verify` builds it before the process tests (src/build/java-apps.sh), "
                    + "or run that script by hand");
        }
        return jar;
    }

    /** dewy as PID 1 running {@code java -jar JAR $(cat app-args)}; returns once generation 1 is ready. */
    static Dewy start(Path dir, int port, String jar, String... dewyOptions) throws IOException {
        List<String> args = new ArrayList<>(List.of("--port", "127.0.0.1:" + port + "=0", "--ready", "notify",
                "--ready-timeout", "120s", "--grace-period", "30s", "--success-exit-status", "143"));
        args.addAll(List.of(dewyOptions));
        args.addAll(List.of("--", "/bin/sh", "-c", "exec \"$0\" -jar \"$1\" $(cat " + ARGS_FILE + " 2>/dev/null)",
                Dewy.JAVA, jar(jar).toString()));
        Dewy dewy = Dewy.start(Mode.PID1, dir, args.toArray(String[]::new)).awaitStarted();
        dewy.awaitLog("msg=\"generation ready\" generation=1 ", 1, Duration.ofSeconds(120));
        return dewy;
    }

    /** What the next generations get as arguments ("" for none). */
    static void appArgs(Path dir, String args) throws IOException {
        Files.writeString(dir.resolve(ARGS_FILE), args);
    }

    static HttpLoad load(int port, int clientsOfEachKind, Duration longRequest, Duration deadline) {
        return HttpLoad.to(Target.tcp("127.0.0.1", port)).keepAlive(clientsOfEachKind).oneShot(clientsOfEachKind)
                .longRequests(clientsOfEachKind, longRequest).deadline(deadline).maxRequests(5_000_000)
                .requestTimeout(Duration.ofSeconds(30)).start();
    }

    /**
     * READY=1 gates the swap: the next generation starts 5 s slower ({@code --app.startup-delay-ms=5000}, a bean
     * that takes that long); generation {@code g} serves until {@code g+1} is ready, no sooner, and is stopped then.
     */
    static void swapIsGatedByReadiness(Dewy dewy, Path dir, HttpLoad load, int g) throws IOException {
        long old = dewy.readyPid(g);
        load.awaitServedBy(old, Duration.ofSeconds(15));
        appArgs(dir, "--app.startup-delay-ms=5000");
        long usr1 = System.nanoTime();
        dewy.signal(Signals.SIGUSR1);
        dewy.awaitLog("msg=\"generation ready\" generation=" + (g + 1) + " ", 1, Duration.ofSeconds(120));
        long ready = System.nanoTime();
        appArgs(dir, "");
        assertTrue(ready - usr1 >= Duration.ofSeconds(5).toNanos(), "generation " + (g + 1) + " was ready "
                + (ready - usr1) / 1_000_000 + " ms after USR1, before its 5 s start-up ended:\n" + dewy.log());
        long late = load.snapshot().filter(r -> r.pid() == old && r.outcome() == Outcome.OK
                && r.endNanos() > usr1 + Duration.ofSeconds(5).toNanos()).total();
        assertTrue(late > 0, "the old generation stopped serving before the new one was ready: " + load.snapshot());
        String exited = "msg=\"generation exited\" generation=" + g + " ";
        dewy.awaitLog(exited, 1, Duration.ofSeconds(40));
        String log = dewy.log();
        assertTrue(log.indexOf(exited) > log.indexOf("msg=\"generation ready\" generation=" + (g + 1) + " "),
                "stopped only once the new one was ready:\n" + log);
        load.awaitServedBy(dewy.readyPid(g + 1), Duration.ofSeconds(15));
    }

    /**
     * {@code restarts} USR1 restarts from generation {@code g}, each awaited until the old generation exited (having
     * sent STOPPING=1 as its drain began); then the load stops and must have failed nothing. Every generation served, and some long request spanned a swap.
     */
    static HttpLoad.Result restarts(Dewy dewy, HttpLoad load, int g, int restarts) {
        List<Long> pids = new ArrayList<>();
        List<Long> swaps = new ArrayList<>();
        pids.add(dewy.readyPid(g));
        HttpLoad.Result result;
        try {
            load.awaitOk(Kind.LONG, 1, Duration.ofSeconds(60));
            for (int next = g + 1; next <= g + restarts; next++) {
                dewy.signal(Signals.SIGUSR1);
                dewy.awaitLog("msg=restarted generation=" + next + " ", 1, Duration.ofSeconds(120));
                swaps.add(System.nanoTime());
                long pid = dewy.readyPid(next);
                pids.add(pid);
                load.awaitServedBy(pid, Duration.ofSeconds(15));
                dewy.awaitLog("msg=\"generation exited\" generation=" + (next - 1) + " ", 1, Duration.ofSeconds(40));
                String stopping = "msg=\"generation is stopping (STOPPING=1)\" generation=" + (next - 1) + " ";
                assertEquals(1, dewy.countLog(stopping), "generation " + (next - 1) + " said STOPPING=1 as it drained");
            }
        } finally {
            result = load.stop();
        }
        assertEquals(0, result.failed(), "failed requests: " + result + "\n" + tail(dewy));
        for (Kind kind : Kind.values()) {
            assertTrue(result.only(kind).ok() > 0, kind + " clients made no request: " + result);
        }
        assertTrue(result.pids().containsAll(pids), "every generation served " + pids + ": " + result);
        long spanning = result.only(Kind.LONG).requests.stream().filter(r -> r.outcome() == Outcome.OK
                && HttpLoad.spansASwap(r, swaps, pids.subList(0, pids.size() - 1))).count();
        assertTrue(spanning > 0, "no long request was in flight across a swap: " + result);
        return result;
    }

    static String tail(Dewy dewy) {
        List<String> lines = dewy.log().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
