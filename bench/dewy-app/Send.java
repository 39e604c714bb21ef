/*
 * One READY=1 to NOTIFY_SOCKET from a fresh JVM, three ways: dewy-app (jnr-ffi on JDK 17-21, java.lang.foreign on
 * 22+), and jnr-unixsocket's UnixDatagramChannel; "none" sends nothing, for reference. Prints the JVM's uptime when the datagram was sent, and VmRSS.
 * Run by measure.sh.
 */
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

public class Send {
    public static void main(String[] args) throws Exception {
        String socket = System.getenv("NOTIFY_SOCKET");
        if (args[0].equals("dewy-app")) {
            if (!dev.dewy.app.Dewy.ready()) {
                throw new IllegalStateException("not sent");
            }
        } else if (args[0].equals("uds")) {
            Uds.send(socket); // its own class: a dewy-app run never links jnr-unixsocket
        }
        long up = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        String rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS"))
                .findFirst().orElse("").replaceAll("\\D+", "");
        System.out.println(up + " " + rss);
    }
}

class Uds {
    static void send(String socket) throws java.io.IOException {
        try (jnr.unixsocket.UnixDatagramChannel ch = jnr.unixsocket.UnixDatagramChannel.open()) {
            ch.send(ByteBuffer.wrap("READY=1".getBytes(StandardCharsets.US_ASCII)),
                    new jnr.unixsocket.UnixSocketAddress(new java.io.File(socket)));
        }
    }
}
