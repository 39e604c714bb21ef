package dewy.pid1;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real dewy process for the process tests: the built launcher or jar from target/, as PID 1 of a new PID
 * namespace ({@code unshare --pid --fork --mount-proc}) or as a plain child (subreaper). Its stdout and stderr
 * go to files in the test's directory.
 */
final class Dewy implements AutoCloseable {
    enum Mode {
        /** target/dewy (signals blocked before the JVM starts) as PID 1. */
        PID1,
        /** plain {@code java -jar target/dewy.jar} as PID 1: dewy re-executes its JVM with signals blocked. */
        PID1_RELAUNCH,
        /** target/dewy without a PID namespace: dewy is a child subreaper. */
        SUBREAPER
    }

    private static final Pattern READY = Pattern.compile("msg=\"generation ready\" generation=(\\d+) pid=(\\d+)");
    static final Path TARGET = Path.of(System.getProperty("dewy.target", "target")).toAbsolutePath();
    static final String JAVA = System.getProperty("dewy.java", Path.of(System.getProperty("java.home"), "bin", "java")
            .toString());

    private final Process process;
    private final Mode mode;
    /** Started by {@link #startInTerminal} or {@link #startAsShellJob}: dewy is below pty_run.py. */
    private boolean inTerminal;
    final Path dir;
    final Path stderr;
    final Path stdout;
    private int pid = -1;

    private Dewy(Process process, Mode mode, Path dir) {
        this.process = process;
        this.mode = mode;
        this.dir = dir;
        this.stderr = dir.resolve("dewy.err");
        this.stdout = dir.resolve("dewy.out");
    }

    /** Starts {@code dewy server ARGS} where ARGS holds dewy's options, "--" and the command. */
    static Dewy start(Mode mode, Path dir, Map<String, String> env, String... args) throws IOException {
        return startWrapped(List.of(), mode, dir, env, args);
    }

    /** {@link #start} behind {@code wrapper}, a command that prepares something (a socket on fd 3) and execs the rest. */
    static Dewy startWrapped(List<String> wrapper, Mode mode, Path dir, Map<String, String> env, String... args)
            throws IOException {
        return startSubcommand("server", wrapper, mode, dir, env, args);
    }

    /** Starts {@code dewy assets ARGS} (no command) as PID 1. */
    static Dewy startAssets(Path dir, Map<String, String> env, String... args) throws IOException {
        return startSubcommand("assets", List.of(), Mode.PID1, dir, env, args);
    }

    private static Dewy startSubcommand(String subcommand, List<String> wrapper, Mode mode, Path dir,
                                        Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(wrapper);
        if (mode != Mode.SUBREAPER) {
            cmd.addAll(List.of("unshare", "--pid", "--fork", "--mount-proc"));
        }
        if (mode == Mode.PID1_RELAUNCH) {
            cmd.addAll(List.of(JAVA, "-jar", TARGET.resolve("dewy.jar").toString()));
        } else {
            cmd.add(TARGET.resolve("dewy").toString());
        }
        cmd.add(subcommand);
        return launch(cmd, args, mode, false, dir, env);
    }

    /** Starts {@code cmd} then {@code args} in {@code dir}, stdout and stderr to dewy.out and dewy.err. */
    private static Dewy launch(List<String> cmd, String[] args, Mode mode, boolean inTerminal, Path dir,
                               Map<String, String> env) throws IOException {
        List<String> all = new ArrayList<>(cmd);
        all.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(all).directory(dir.toFile())
                .redirectOutput(dir.resolve("dewy.out").toFile())
                .redirectError(dir.resolve("dewy.err").toFile());
        pb.environment().put("JAVA", JAVA);
        pb.environment().putAll(env);
        Dewy dewy = new Dewy(pb.start(), mode, dir);
        dewy.inTerminal = inTerminal;
        return dewy;
    }

    static final String PTY_RUN = Path.of("src/test/python/pty_run.py").toAbsolutePath().toString();

    /**
     * target/dewy as PID 1 and session leader of a new pseudo-terminal, as {@code docker run -it} starts it: its
     * stdin and stdout are the terminal, and the terminal's foreground is dewy's group. {@link #type} types on
     * the terminal, {@link #screen} is what it showed; dewy's stderr goes to dewy.err as usual.
     */
    static Dewy startInTerminal(Path dir, Map<String, String> env, String... args) throws IOException {
        return launch(List.of("python3", PTY_RUN, "unshare", "--pid", "--fork", "--mount-proc", "setsid", "--ctty",
                TARGET.resolve("dewy").toString(), "server"), args, Mode.PID1, true, dir, env);
    }

    /**
     * target/dewy, not PID 1, as the foreground job of an interactive shell on a new pseudo-terminal: pty_run.py
     * {@code --job} plays the shell, prints "[job stopped]" when the job stops, and {@link #resumeJob} is its
     * {@code fg}.
     */
    static Dewy startAsShellJob(Path dir, Map<String, String> env, String... args) throws IOException {
        return launch(List.of("python3", PTY_RUN, "--job", TARGET.resolve("dewy").toString(), "server"), args,
                Mode.SUBREAPER, true, dir, env);
    }

    /** The shell's {@code fg} for {@link #startAsShellJob}: the job gets the terminal and SIGCONT. */
    void resumeJob() {
        int shell = descendantNamed((int) process.pid(), "python3"); // when python3 is a shim that forked it
        kill(shell > 0 ? shell : (int) process.pid(), dewy.posix.Signals.SIGUSR1);
    }

    /** Types {@code keys} on the terminal of {@link #startInTerminal} (the byte 3 is Ctrl-C). */
    void type(String keys) {
        try {
            process.getOutputStream().write(keys.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        } catch (IOException e) {
            throw new AssertionError("cannot type on the terminal: " + e, e);
        }
    }

    /** Everything the terminal of {@link #startInTerminal} printed so far (the typed echo included). */
    String screen() {
        return read(stdout);
    }

    /**
     * {@code dewy} (a command that runs dewy's {@code server}, such as the image's entrypoint) as PID 1 of a new PID
     * namespace, with {@code args} after it.
     */
    static Dewy startCommand(List<String> dewy, Path dir, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc"));
        cmd.addAll(dewy);
        return launch(cmd, args, Mode.PID1, false, dir, env);
    }

    static Dewy start(Mode mode, Path dir, String... args) throws IOException {
        return start(mode, dir, Map.of(), args);
    }

    /** Starts dewy, then waits until the application wrote "ready" to {@code ready} and dewy logged "started". */
    static Dewy startReady(Mode mode, Path dir, Map<String, String> env, Path ready, String... args) throws IOException {
        Dewy dewy = start(mode, dir, env, args);
        try {
            awaitLines(ready, "ready", 1, Duration.ofSeconds(20));
            return dewy.awaitStarted();
        } catch (RuntimeException | AssertionError e) {
            dewy.close();
            throw e;
        }
    }

    static Dewy startReady(Mode mode, Path dir, Path ready, String... args) throws IOException {
        return startReady(mode, dir, Map.of(), ready, args);
    }

    /** dewy's PID as the host sees it (the child of unshare, or the launched process itself). */
    int pid() {
        if (pid < 0) {
            if (mode == Mode.SUBREAPER && inTerminal) { // python3 may be a shim that forks: look for the JVM
                await("dewy to start under the shell", Duration.ofSeconds(10),
                        () -> descendantNamed((int) process.pid(), "java") > 0);
                pid = descendantNamed((int) process.pid(), "java");
            } else if (mode == Mode.SUBREAPER) {
                pid = (int) process.pid();
            } else {
                int unshare = (int) process.pid();
                if (inTerminal) { // python3 may be a shim that forks: look for unshare below it
                    await("unshare to start under the terminal", Duration.ofSeconds(10),
                            () -> descendantNamed((int) process.pid(), "unshare") > 0);
                    unshare = descendantNamed((int) process.pid(), "unshare");
                }
                int parent = unshare;
                await("dewy to start under unshare", Duration.ofSeconds(10), () -> !children(parent).isEmpty());
                pid = children(parent).get(0);
            }
        }
        return pid;
    }

    /** Waits for the "started" line, after which the application runs and dewy's loop takes signals. */
    Dewy awaitStarted() {
        awaitLog("msg=started", 1, Duration.ofSeconds(20));
        pid();
        return this;
    }

    /** dewy's children as the host sees them: the application and any orphan not yet reaped. */
    List<Integer> children() {
        return children(pid());
    }

    int app() {
        await("an application process", Duration.ofSeconds(10), () -> !children().isEmpty());
        List<Integer> c = children();
        if (c.size() != 1) {
            fail("expected one child of dewy, found " + c);
        }
        return c.get(0);
    }

    void signal(int signo) {
        kill(pid(), signo);
    }

    static void kill(int target, int signo) {
        try {
            Process p = new ProcessBuilder("kill", "-" + signo, Integer.toString(target)).inheritIO().start();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("kill -" + signo + " " + target + " failed");
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Waits for dewy (and unshare around it) to exit; returns the exit status. */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("dewy still running after " + timeout + "\n" + log());
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return process.exitValue();
    }

    String log() {
        return read(stderr);
    }

    int countLog(String needle) {
        return (int) log().lines().filter(l -> l.contains(needle)).count();
    }

    void awaitLog(String needle, int count, Duration timeout) {
        try {
            await(count + " log line(s) with \"" + needle + "\"", timeout, () -> countLog(needle) >= count);
        } catch (AssertionError e) { // what dewy said instead
            throw new AssertionError(e.getMessage() + "; dewy " + (alive() ? "running" : "exited") + ":\n" + log(), e);
        }
    }

    /** The pid (in dewy's PID namespace) of a generation, from dewy's "generation ready" line. */
    long readyPid(int generation) {
        Matcher m = READY.matcher(log());
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) == generation) {
                return Long.parseLong(m.group(2));
            }
        }
        throw new AssertionError("generation " + generation + " never ready:\n" + log());
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            if (pid < 0 && mode == Mode.SUBREAPER && inTerminal) {
                pid = descendantNamed((int) process.pid(), "java");
            }
            if (pid < 0 && mode != Mode.SUBREAPER) {
                // never asked for: dewy under unshare would outlive unshare's SIGKILL, re-parented to the host's init
                List<Integer> c = children((int) process.pid());
                if (inTerminal) {
                    int unshare = descendantNamed((int) process.pid(), "unshare");
                    c = unshare > 0 ? children(unshare) : List.of();
                }
                pid = c.isEmpty() ? -1 : c.get(0);
            }
            if (pid > 0) {
                if (mode == Mode.SUBREAPER) {
                    // no PID namespace takes them down with dewy: its descendants would live on as orphans
                    killDescendants(pid);
                }
                killQuietly(pid);
            }
            process.destroyForcibly();
        }
    }

    private static void killDescendants(int parent) {
        for (int child : children(parent)) {
            killDescendants(child);
            killQuietly(child);
        }
    }

    /** SIGKILL for clean-up: the process may well be gone already. */
    static void killQuietly(int target) {
        try {
            new ProcessBuilder("kill", "-9", Integer.toString(target)).redirectErrorStream(true).start()
                    .waitFor(5, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // nothing left to clean up
        }
    }

    // ---- helpers shared by the tests ----

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (java.nio.file.NoSuchFileException e) {
            return ""; // gone between the check and the read
        } catch (IOException e) {
            if ("No such process".equals(e.getMessage())) {
                return ""; // a /proc/PID file whose process exited while it was read: as if it were gone
            }
            throw new AssertionError(e);
        }
    }

    static List<String> lines(Path file) {
        return read(file).lines().toList();
    }

    static void awaitLines(Path file, String line, int count, Duration timeout) {
        await(count + "x \"" + line + "\" in " + file.getFileName(), timeout,
                () -> lines(file).stream().filter(line::equals).count() >= count);
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            sleep(10);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Direct children of {@code pid}, from /proc/PID/task/TID/children of every thread. */
    static List<Integer> children(int pid) {
        List<Integer> out = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc", Integer.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                for (String s : read(task.resolve("children")).trim().split("\\s+")) {
                    if (!s.isEmpty()) {
                        out.add(Integer.parseInt(s));
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone: no children
        }
        return out;
    }

    /** The state letter of /proc/PID/stat (R, S, T, Z, ...), or '-' when the process is gone. */
    static char state(int pid) {
        String stat = read(Path.of("/proc", Integer.toString(pid), "stat"));
        if (stat.isEmpty()) {
            return '-';
        }
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    /** The first process below {@code ancestor} (breadth first) whose command name is {@code comm}, or -1. */
    static int descendantNamed(int ancestor, String comm) {
        java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>(children(ancestor));
        while (!todo.isEmpty()) {
            int pid = todo.removeFirst();
            if (read(Path.of("/proc", Integer.toString(pid), "comm")).trim().equals(comm)) {
                return pid;
            }
            todo.addAll(children(pid));
        }
        return -1;
    }

    /** The foreground process group of the terminal of {@code pid} (tpgid in /proc/PID/stat), or -1. */
    static int terminalForeground(int pid) {
        String stat = read(Path.of("/proc", Integer.toString(pid), "stat"));
        if (stat.isEmpty()) {
            return -1;
        }
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[5]);
    }

    /** Processes whose parent is {@code parent} and that are zombies. */
    static List<Integer> zombieChildren(int parent) {
        List<Integer> out = new ArrayList<>();
        try (var entries = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String stat = read(p.resolve("stat"));
                if (stat.isEmpty()) {
                    continue;
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (f[0].equals("Z") && Integer.parseInt(f[1]) == parent) {
                    out.add(Integer.parseInt(name));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(e);
        }
        return out;
    }
}
