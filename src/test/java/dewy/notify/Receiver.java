package dewy.notify;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** A local HTTP receiver on 127.0.0.1: records every request and answers as the test says, or hangs. */
final class Receiver implements AutoCloseable {
    record Request(String method, String path, String query, Map<String, List<String>> headers, String body) {
        String header(String name) {
            for (Map.Entry<String, List<String>> h : headers.entrySet()) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    return h.getValue().get(0);
                }
            }
            return null;
        }
    }

    enum Hang { NO, BEFORE_HEADERS, AFTER_HEADERS }

    record Answer(int status, String body, Hang hang) {
        static Answer ok(String body) {
            return new Answer(200, body, Hang.NO);
        }
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-receiver");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch release = new CountDownLatch(1);
    final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private volatile IntFunction<Answer> answers; // by request number, from 0
    private int count;

    Receiver(IntFunction<Answer> answers) throws IOException {
        this.answers = answers;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(pool);
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int n;
            synchronized (this) {
                n = count++;
            }
            requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    ex.getRequestURI().getRawQuery(), Map.copyOf(ex.getRequestHeaders()), body));
            Answer a = this.answers.apply(n);
            try {
                if (a.hang() == Hang.BEFORE_HEADERS) {
                    release.await(30, TimeUnit.SECONDS);
                }
                byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
                if (a.hang() == Hang.AFTER_HEADERS) {
                    ex.sendResponseHeaders(a.status(), out.length + 100L); // promises more than it sends
                    ex.getResponseBody().write(out);
                    ex.getResponseBody().flush();
                    release.await(30, TimeUnit.SECONDS);
                } else {
                    ex.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
                    try (OutputStream os = ex.getResponseBody()) {
                        os.write(out);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                ex.close();
            }
        });
        server.start();
    }

    static Receiver always(Answer a) throws IOException {
        return new Receiver(n -> a);
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    int port() {
        return server.getAddress().getPort();
    }

    Request take() throws InterruptedException {
        Request r = requests.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no request within 10 s");
        }
        return r;
    }

    List<Request> drain() {
        List<Request> l = new ArrayList<>();
        requests.drainTo(l);
        return l;
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        pool.shutdownNow();
    }
}
