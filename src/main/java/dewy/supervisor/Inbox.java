package dewy.supervisor;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Events from other threads into the loop: a queue plus an eventfd that wakes the loop's ppoll. The loop clears
 * the eventfd before it drains the queue, so a request posted meanwhile wakes it again and is never lost.
 */
public final class Inbox {
    /** Makes the loop's descriptor readable (posix.wake on the eventfd). */
    public interface Waker {
        void wake();
    }

    private final ConcurrentLinkedQueue<Request> queue = new ConcurrentLinkedQueue<>();
    private final int fd;
    private final Waker waker;

    public Inbox(int fd, Waker waker) {
        this.fd = fd;
        this.waker = waker;
    }

    public int fd() {
        return fd;
    }

    /** Any thread. */
    public void post(Request request) {
        queue.add(request);
        waker.wake();
    }

    /** The loop's thread: the next request, or null. */
    Request poll() {
        return queue.poll();
    }
}
