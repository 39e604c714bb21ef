package dev.dewy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM started with a listening socket on fd 0 (by python3, as dewy's {@code --port SPEC=0} would): closing
 * {@code System.inheritedChannel()} through {@link InheritedChannels#close} keeps stdout and stderr, where a plain
 * close points them at /dev/null; and a thread blocked in accept wakes up.
 */
class InheritedChannelsTest {
    @TempDir
    Path tmp;

    /** Run by the child JVM: blocks a thread in accept, closes the channel, then writes to stdout and stderr. */
    public static void main(String[] args) throws Exception {
        ServerSocketChannel ch = (ServerSocketChannel) System.inheritedChannel();
        ch.configureBlocking(true);
        String[] woke = {"accepted?"};
        Thread acceptor = new Thread(() -> {
            try {
                ch.accept();
            } catch (Exception e) {
                woke[0] = "acceptor woke: " + e.getClass().getSimpleName();
            }
        });
        acceptor.start();
        Thread.sleep(300);
        if (args[0].equals("plain")) {
            ch.close();
        } else {
            InheritedChannels.close(ch);
        }
        acceptor.join(5000);
        System.out.println(woke[0]); // not from the acceptor: it may wake before stdout is back
        System.out.println("stdout after close");
        System.err.println("stderr after close");
        System.out.flush();
    }

    private List<String> run(String how) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = "import socket,subprocess,sys\n"
                + "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(8)\n"
                + "sys.exit(subprocess.run(sys.argv[1:], stdin=s.fileno()).returncode)\n";
        Path out = tmp.resolve(how + ".out");
        Process p = new ProcessBuilder("python3", "-c", script, java, "--enable-native-access=ALL-UNNAMED",
                "-XX:+IgnoreUnrecognizedVMOptions", "-cp", System.getProperty("java.class.path"),
                InheritedChannelsTest.class.getName(), how).redirectErrorStream(true).redirectOutput(out.toFile())
                .start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(out));
        return Files.readAllLines(out);
    }

    @Test
    void closingKeepsStdoutAndStderrAndWakesTheAcceptor() throws Exception {
        List<String> lines = run("dewy");
        assertTrue(lines.contains("acceptor woke: AsynchronousCloseException"), lines.toString());
        assertTrue(lines.contains("stdout after close"), lines.toString());
        assertTrue(lines.contains("stderr after close"), lines.toString());
    }

    /** The premise: without it, the JDK's close silences both. */
    @Test
    void aPlainCloseSilencesStdoutAndStderr() throws Exception {
        List<String> lines = run("plain");
        assertTrue(lines.stream().noneMatch(l -> l.contains("after close") || l.contains("woke")), lines.toString());
    }
}
