import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import sun.misc.Signal;

/**
 * A small HTTP server to run under dewy (see docker/Dockerfile). It answers every request with one line that names
 * its pid and dewy's generation.
 *
 * <p>It listens on the socket dewy passes on fd 0 ({@code dewy server --port 127.0.0.1:8080=0 -- java -jar
 * app.jar}), so that a restart loses no connection; without one it binds BIND:PORT itself (default 127.0.0.1:8080;
 * set BIND=0.0.0.0 to be reachable from outside the container). On HUP it reloads (here: prints "reloaded"). On
 * TERM, from dewy's drain or restart, it stops accepting, answers what it has accepted, prints "stopped serving"
 * and exits (143). Its own log goes to stdout.
 */
public final class HelloServer {
    public static void main(String[] args) throws IOException {
        ServerSocketChannel server = listener();
        long pid = ProcessHandle.current().pid();
        String generation = System.getenv().getOrDefault("SERVER_STARTER_GENERATION", "-");
        Thread acceptor = Thread.currentThread();
        try {
            Signal.handle(new Signal("HUP"), s -> System.out.println("reloaded"));
        } catch (IllegalArgumentException e) {
            System.out.println("no reload on HUP: " + e.getMessage()); // under -Xrs the JVM keeps HUP to itself
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close(); // wakes the accept below; a socket inherited from dewy stays open for the next generation
                acceptor.join(10_000);
            } catch (IOException | InterruptedException e) {
                // exiting anyway
            }
            System.out.println("stopped serving");
        }));
        System.out.println("serving " + server.getLocalAddress() + " pid=" + pid + " generation=" + generation);
        byte[] body = ("hello from pid " + pid + " generation " + generation + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        while (true) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return; // TERM: the hook closed the listener
            }
            try (client) {
                readRequestHead(client);
                client.write(new ByteBuffer[] {ByteBuffer.wrap(head), ByteBuffer.wrap(body)});
            } catch (IOException e) {
                // the client went away; the next one is served as usual
            }
        }
    }

    private static ServerSocketChannel listener() throws IOException {
        Channel inherited = System.inheritedChannel();
        if (inherited instanceof ServerSocketChannel) {
            return (ServerSocketChannel) inherited;
        }
        String bind = System.getenv().getOrDefault("BIND", "127.0.0.1");
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        return ServerSocketChannel.open().bind(new InetSocketAddress(bind, port));
    }

    /** Reads up to the blank line that ends the request head (requests here have no body), at most 5 s. */
    private static void readRequestHead(SocketChannel client) throws IOException {
        client.socket().setSoTimeout(5_000);
        InputStream in = client.socket().getInputStream();
        int matched = 0;
        for (int n = 0; n < 16_384 && matched < 4; n++) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }
}
