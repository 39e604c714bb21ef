package dewy.notify;

import dewy.log.Log;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * dewy's notifications: every event is logged at once on the caller's thread (the built-in "log" notifier, never
 * rate limited), and handed to each {@code --notifier}'s own queue, which its own daemon thread ({@code dewy-notify},
 * {@code dewy-notify-2}, ...) delivers in order. The event loop only ever takes a short lock here: it never waits for
 * the network, and no notifier waits for another: a dead Slack that takes 5 s per event holds up only its own queue.
 *
 * <ul>
 * <li><b>Failures</b> (connection error, timeout, non-2xx, Slack {@code "ok":false}) are logged once each at warn
 * and never retried: a retried chat.postMessage after a timeout may post twice, and a retry would only hold up the
 * events behind it. One notifier's failure never affects another or the caller.
 * <li><b>Timeouts</b>: each request, connect to last body byte, is bounded by 5 s.
 * <li><b>Rate limit</b>: an error event (same kind and message) is delivered the first 3 times; later repeats are
 * only logged (plus a debug line saying it was suppressed) until {@link #success()} is called or a non-error event
 * is published, either of which means things moved again. Non-error events are never suppressed. Decided once, at
 * publish, for every notifier alike.
 * <li><b>Queues</b>: at most 256 events wait for each notifier. When one is full, its oldest waiting non-error event
 * is dropped (or the oldest error if all are errors), with a warn line: the newest events, such as "stopping",
 * matter most.
 * <li><b>Flush and close</b> wait for all the queues together, within one bound: not one bound per notifier.
 * <li><b>Time</b> is taken when the event is published, not when it is delivered.
 * </ul>
 */
public final class Notifications implements Notices, AutoCloseable {
    static final int CAPACITY = 256;
    static final int REPEATS = 3;
    /** Distinct error messages tracked for the rate limit; more and the count starts over (never grows unbounded). */
    static final int TRACKED = 64;
    static final Duration CLOSE_BOUND = Duration.ofSeconds(1);
    /** What close() waits, in all, for the threads to end once they are interrupted. */
    static final Duration JOIN_BOUND = Duration.ofMillis(500);
    private static final int MAX_ERROR_CHARS = 200;

    private final List<Notifier> notifiers;
    private final List<Lane> lanes;
    private final List<String> secrets;
    private final String configuredHost; // HOSTNAME, or null: looked up on each sender thread
    private final LogSink log;
    private final Clock clock;
    private final int capacity;

    /** Guards everything below and every lane's queue; the sender threads wait on it. */
    private final Object lock = new Object();
    private final Map<String, Integer> errorRepeats = new HashMap<>();
    private long published; // seq of the last queued event
    private boolean closed;
    private boolean started;
    private boolean flushTimedOut; // a flush already waited its bound: close() does not wait again

    private record Entry(long seq, Event event, Instant time) {
    }

    /** One notifier's queue and sender thread. */
    private final class Lane {
        final Notifier notifier;
        final String name;
        final ArrayDeque<Entry> queue = new ArrayDeque<>();
        long done; // seq of the last delivered (or failed) event; dropped ones are passed over
        Thread thread;

        Lane(Notifier notifier, String name) {
            this.notifier = notifier;
            this.name = name;
        }
    }

    Notifications(List<Notifier> notifiers, String host, LogSink log, Clock clock, int capacity) {
        this.notifiers = List.copyOf(notifiers);
        this.configuredHost = host == null || host.isBlank() ? null : host.strip();
        this.log = log;
        this.clock = clock;
        this.capacity = capacity;
        List<Lane> l = new ArrayList<>();
        for (int i = 0; i < this.notifiers.size(); i++) {
            l.add(new Lane(this.notifiers.get(i), i == 0 ? "dewy-notify" : "dewy-notify-" + (i + 1)));
        }
        this.lanes = List.copyOf(l);
        List<String> s = new ArrayList<>();
        for (Notifier n : this.notifiers) {
            if (n instanceof SlackNotifier slack) {
                s.addAll(slack.secrets());
            } else if (n instanceof WebhookNotifier webhook) {
                s.addAll(webhook.secrets());
            } else if (n instanceof MailNotifier mail) {
                s.addAll(mail.secrets());
            }
        }
        s.sort((a, b) -> b.length() - a.length()); // longest first: a full URL before its path
        this.secrets = List.copyOf(s);
    }

    /**
     * Parses the {@code --notifier} URLs (repeatable) with the environment ({@code SLACK_TOKEN},
     * {@code SLACK_API_URL}, {@code MAIL_USERNAME}, {@code MAIL_PASSWORD}, {@code MAIL_FROM}, {@code HOSTNAME}). An empty list is valid: events are only logged.
     *
     * @throws IllegalArgumentException one line, naming the URL by scheme and host only, for a bad URL or a missing
     *     {@code SLACK_TOKEN}
     */
    public static Notifications create(List<String> urls, Map<String, String> env) {
        return create(urls, env, LogSink.DEWY, Http.TIMEOUT);
    }

    /** The tests' way in: their own log and a short timeout. */
    static Notifications create(List<String> urls, Map<String, String> env, LogSink log, Duration timeout) {
        // only notifiers need a proxy: a log-only dewy (file:// deploys) never reads HTTPS_PROXY
        Http http = new Http(timeout, urls.isEmpty() ? null : dewy.net.Proxies.fromEnv(env));
        List<Notifier> list = new ArrayList<>();
        for (String u : urls) {
            list.add(NotifierUrls.parse(u, env, http));
        }
        return new Notifications(list, env.get("HOSTNAME"), log, Clock.systemUTC(), CAPACITY);
    }

    /** Logs the event and queues it for each notifier. Never blocks on I/O, never throws. */
    @Override
    public void publish(Event e) {
        if (e == null) {
            return;
        }
        try {
            logEvent(e);
            if (lanes.isEmpty()) {
                return;
            }
            Instant time = clock.instant();
            int repeats = 0;
            List<String[]> dropped = null;
            synchronized (lock) {
                if (closed) {
                    return;
                }
                if (!e.error()) {
                    errorRepeats.clear();
                } else {
                    if (errorRepeats.size() >= TRACKED) {
                        errorRepeats.clear();
                    }
                    repeats = errorRepeats.merge(e.kind() + '\n' + e.message(), 1, Integer::sum);
                }
                if (repeats <= REPEATS) {
                    Entry en = new Entry(++published, e, time);
                    for (Lane lane : lanes) {
                        if (lane.queue.size() >= capacity) {
                            Entry d = dropOne(lane.queue);
                            if (dropped == null) {
                                dropped = new ArrayList<>(1);
                            }
                            dropped.add(new String[] {d.event().kind(), lane.notifier.describe()});
                        }
                        lane.queue.add(en);
                    }
                    if (!started) {
                        startThreads();
                    }
                    lock.notifyAll();
                }
            }
            if (repeats > REPEATS) {
                log.log(Log.Level.DEBUG, "notification suppressed, repeated error", "event", e.kind(),
                        "repeats", repeats);
            }
            if (dropped != null) {
                for (String[] d : dropped) {
                    if (lanes.size() == 1) {
                        log.log(Log.Level.WARN, "notification dropped, queue full", "event", d[0]);
                    } else { // which queue is full says which receiver is stuck
                        log.log(Log.Level.WARN, "notification dropped, queue full", "event", d[0], "notifier", d[1]);
                    }
                }
            }
        } catch (RuntimeException | OutOfMemoryError ex) {
            // PID 1's caller must not die of a notification; the event is already in the log.
        }
    }

    /** A check or deploy succeeded: repeated errors are delivered again from now on. Sends nothing. */
    @Override
    public void success() {
        synchronized (lock) {
            errorRepeats.clear();
        }
    }

    /**
     * Waits until every event published so far is delivered or has failed at every notifier, at most {@code bound}
     * in all (the queues drain side by side: a stuck notifier costs the bound once, not once per notifier).
     *
     * @return true if all are done (also with no notifiers); false at the bound, after close, or when interrupted
     */
    public boolean flush(Duration bound) {
        long left = bound == null || bound.isNegative() ? 0 : Math.min(bound.toNanos(), TimeUnit.DAYS.toNanos(1));
        long deadline = System.nanoTime() + left;
        synchronized (lock) {
            long target = published;
            while (!doneUpTo(target)) {
                if (closed) {
                    return false;
                }
                left = deadline - System.nanoTime();
                if (left <= 0) {
                    flushTimedOut = true;
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Called with the lock held. */
    private boolean doneUpTo(long seq) {
        for (Lane lane : lanes) {
            if (lane.done < seq) {
                return false;
            }
        }
        return true;
    }

    /**
     * Flushes for at most 1 s (not at all when a flush already waited its bound: dewy's exit waits once), then drops
     * what is left and stops the threads (aborting the requests in flight), waiting at most 500 ms for them in all.
     */
    @Override
    public void close() {
        boolean wait;
        synchronized (lock) {
            if (closed) {
                return;
            }
            wait = !flushTimedOut;
        }
        if (wait) {
            flush(CLOSE_BOUND);
        }
        List<Thread> threads = new ArrayList<>();
        synchronized (lock) {
            closed = true;
            for (Lane lane : lanes) {
                lane.queue.clear();
                if (lane.thread != null) {
                    threads.add(lane.thread);
                }
            }
            lock.notifyAll();
        }
        for (Thread t : threads) {
            t.interrupt();
        }
        long deadline = System.nanoTime() + JOIN_BOUND.toNanos();
        for (Thread t : threads) {
            long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (ms <= 0) {
                break;
            }
            try {
                t.join(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    /** The configured notifiers for the startup log and status, e.g. {@code slack://deploys}; no secrets. */
    public List<String> describe() {
        List<String> d = new ArrayList<>(notifiers.size());
        for (Notifier n : notifiers) {
            d.add(n.describe());
        }
        return d;
    }

    @Override
    public String toString() {
        return "Notifications" + describe();
    }

    /** The first notifier's sender thread, or null before the first event for a notifier (tests). */
    Thread thread() {
        return thread(0);
    }

    /** Notifier {@code i}'s sender thread, or null before the first event (tests). */
    Thread thread(int i) {
        synchronized (lock) {
            return i < lanes.size() ? lanes.get(i).thread : null;
        }
    }

    private void logEvent(Event e) {
        Object[] kv = e.version() == null
                ? new Object[] {"event", e.kind()}
                : new Object[] {"event", e.kind(), "version", e.version()};
        log.log(e.error() ? Log.Level.ERROR : Log.Level.INFO, e.message(), kv);
    }

    /** Called with the lock held and the queue full. */
    private static Entry dropOne(ArrayDeque<Entry> queue) {
        for (Iterator<Entry> it = queue.iterator(); it.hasNext();) {
            Entry en = it.next();
            if (!en.event().error()) {
                it.remove();
                return en;
            }
        }
        return queue.poll();
    }

    /** Lazily, at the first event: a dewy without notifiers never starts them. Called with the lock held. */
    private void startThreads() {
        for (Lane lane : lanes) {
            if (lane.thread == null) {
                Thread t = new Thread(() -> run(lane), lane.name);
                t.setDaemon(true);
                t.start();
                lane.thread = t; // after start: if start fails, the next publish tries again
            }
        }
        started = true;
    }

    private volatile dewy.metrics.Metrics metrics = dewy.metrics.Metrics.NONE;

    /** Where deliveries are counted (/metrics). */
    public void metrics(dewy.metrics.Metrics m) {
        metrics = m;
    }

    private void run(Lane lane) {
        String host = host();
        Notifier n = lane.notifier;
        while (true) {
            Entry en;
            synchronized (lock) {
                while (lane.queue.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                en = lane.queue.poll();
            }
            String kind = n.describe().substring(0, Math.max(0, n.describe().indexOf(':'))); // slack, webhook+https
            try {
                n.send(en.event(), host, en.time());
                log.log(Log.Level.DEBUG, "notification sent", "notifier", n.describe(), "event", en.event().kind());
                metrics.notification(kind, true);
            } catch (InterruptedException e) {
                return; // close()
            } catch (Exception | LinkageError e) {
                log.log(Log.Level.WARN, "notifier failed", "notifier", n.describe(), "event", en.event().kind(),
                        "error", redact(oneLine(e)));
                metrics.notification(kind, false);
            }
            synchronized (lock) {
                lane.done = en.seq();
                lock.notifyAll();
            }
        }
    }

    /** HOSTNAME, else the resolver's answer: looked up here because it may wait for DNS. */
    private String host() {
        if (configuredHost != null) {
            return configuredHost;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private String redact(String s) {
        for (String secret : secrets) {
            if (!secret.isEmpty()) {
                s = s.replace(secret, "***");
            }
        }
        return s;
    }

    /** An exception as one short line: the message, with the class name when the message alone says too little. */
    static String oneLine(Throwable t) {
        String msg = t.getMessage();
        String s;
        if (msg == null || msg.isBlank()) {
            s = t.getClass().getSimpleName();
        } else if (t.getClass() == IOException.class) {
            s = msg;
        } else {
            s = t.getClass().getSimpleName() + ": " + msg;
        }
        s = s.replaceAll("\\s+", " ").strip();
        return s.length() <= MAX_ERROR_CHARS ? s : s.substring(0, MAX_ERROR_CHARS) + "...";
    }
}
