package dewy.container;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The replicas that serve, owned by the container loop's thread: only it changes the list and publishes it to the
 * proxy. The deploy thread posts {@link Request}s; {@link #handle} runs them on the loop.
 */
final class Fleet {
    /** What the deploy thread asks of the loop; {@code done} completes once the proxy has the new list. */
    sealed interface Request {
        CompletableFuture<Void> done();
    }

    record Serve(Replica replica, CompletableFuture<Void> done) implements Request {
    }

    record Retire(List<Replica> replicas, CompletableFuture<Void> done) implements Request {
    }

    private final Consumer<List<InetSocketAddress>> publish;
    private final List<Replica> serving = new ArrayList<>();

    Fleet(Consumer<List<InetSocketAddress>> publish) {
        this.publish = publish;
    }

    /** The loop's thread. */
    void handle(Request request) {
        if (request instanceof Serve s) {
            serving.add(s.replica());
        } else if (request instanceof Retire r) {
            serving.removeAll(r.replicas());
        }
        publish.accept(serving.stream().map(Replica::address).toList());
        request.done().complete(null);
    }

    /** The loop's thread, on TERM: no backend is left; returns who served. */
    List<Replica> retireAll() {
        List<Replica> was = List.copyOf(serving);
        serving.clear();
        publish.accept(List.of());
        return was;
    }

    List<Replica> serving() {
        return List.copyOf(serving);
    }
}
