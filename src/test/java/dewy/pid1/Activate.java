package dewy.pid1;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * src/test/python/activate.py: the sockets, environment and notify sockets that dewy gives each generation, without
 * dewy, one step at a time. Lets the example applications be tested by themselves, swaps included.
 */
final class Activate implements AutoCloseable {
    static final String SCRIPT = Path.of("src/test/python/activate.py").toAbsolutePath().toString();

    /** One spawned generation: its number, host pid and NOTIFY_SOCKET (null without). */
    record Generation(int number, long pid, String notifySocket) {
    }

    private final Process process;
    private final OutputStream commands;
    private final List<String> events = new ArrayList<>();  // guarded by this
    private final List<String> addresses = new ArrayList<>();
    private final Path stderr;
    private int spawned;

    private Activate(Process process, Path stderr) {
        this.process = process;
        this.commands = process.getOutputStream();
        this.stderr = stderr;
        Thread reader = new Thread(this::read, "activate-events");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Binds the listeners ({@code --port} entries in {@code options}) and waits for them; starts no generation yet.
     * The launcher's and the applications' stderr go to {@code dir/activate.err}.
     */
    static Activate start(Path dir, List<String> options, List<String> command, Map<String, String> env)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", SCRIPT));
        cmd.addAll(options);
        cmd.add("--");
        cmd.addAll(command);
        Path err = dir.resolve("activate.err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        pb.environment().putAll(env);
        Activate a = new Activate(pb.start(), err);
        long ports = options.stream().filter("--port"::equals).count();
        a.awaitAll("the listeners", Duration.ofSeconds(10),
                all -> all.stream().filter(l -> l.startsWith("listen ")).count() >= ports);
        synchronized (a) {
            a.events.stream().filter(l -> l.startsWith("listen ")).forEach(l -> a.addresses.add(l.split(" ")[3]));
        }
        return a;
    }

    /** The address the i-th listener got, as a load target. */
    HttpLoad.Target target(int i) {
        String a = addresses.get(i);
        if (a.startsWith("/")) {
            return HttpLoad.Target.unix(Path.of(a));
        }
        int colon = a.lastIndexOf(':');
        return HttpLoad.Target.tcp(a.substring(0, colon).replace("[", "").replace("]", ""),
                Integer.parseInt(a.substring(colon + 1)));
    }

    String address(int i) {
        return addresses.get(i);
    }

    Generation spawn() {
        int n = ++spawned;
        send("spawn");
        String line = await("spawned " + n, Duration.ofSeconds(10), l -> l.startsWith("spawned " + n + " "));
        String[] w = line.split(" ");
        return new Generation(n, Long.parseLong(w[2]), w[3].equals("-") ? null : w[3]);
    }

    void kill(Generation g, String signal) {
        send("kill " + g.number + " " + signal);
    }

    /** Waits for the datagram {@code message} from generation {@code g}; returns when it came (System.nanoTime). */
    long awaitNotify(Generation g, String message, Duration timeout) {
        await(message + " from generation " + g.number, timeout, l -> l.equals("notify " + g.number + " " + message));
        return System.nanoTime();
    }

    /** Every datagram generation {@code g} sent so far. */
    synchronized List<String> notifications(Generation g) {
        String prefix = "notify " + g.number + " ";
        return events.stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
    }

    /** Its exit code (negative: the signal that killed it). */
    int awaitExit(Generation g, Duration timeout) {
        String line = await("generation " + g.number + " to exit", timeout, l -> l.startsWith("exited " + g.number + " "));
        return Integer.parseInt(line.split(" ")[2]);
    }

    synchronized Optional<String> event(Predicate<String> which) {
        return events.stream().filter(which).findFirst();
    }

    /** stderr of the launcher and the applications, for assertion messages. */
    String log() {
        return Dewy.read(stderr);
    }

    private void send(String command) {
        try {
            commands.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            commands.flush();
        } catch (IOException e) {
            throw new AssertionError("activate.py is gone: " + e + "\n" + log(), e);
        }
    }

    /** Waits for an event line that matches, and returns the first. */
    private synchronized String await(String what, Duration timeout, Predicate<String> line) {
        awaitAll(what, timeout, all -> all.stream().anyMatch(line));
        return events.stream().filter(line).findFirst().orElseThrow();
    }

    /** Waits until the events so far, as a whole, satisfy {@code done}. */
    private synchronized void awaitAll(String what, Duration timeout, Predicate<List<String>> done) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!done.test(events)) {
            long left = end - System.nanoTime();
            if (left <= 0 || events.contains("<eof>")) {
                fail("timed out after " + timeout + " waiting for " + what + "; events " + events + "\n" + log());
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (this) {
                    events.add(line);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the launcher is gone
        }
        synchronized (this) {
            events.add("<eof>");
            notifyAll();
        }
    }

    /** Ends the launcher, which SIGKILLs every generation still alive. */
    @Override
    public void close() {
        try {
            commands.close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
