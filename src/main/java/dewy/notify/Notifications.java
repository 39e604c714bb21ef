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
 * rate limited), and handed to one daemon thread, {@code dewy-notify}, that delivers it in order to every
 * {@code --notifier}. The event loop only ever takes a short lock here: it never waits for the network.
 *
 * <ul>
 * <li><b>Failures</b> (connection error, timeout, non-2xx, Slack {@code "ok":false}) are logged once each at warn
 * and never retried: a retried chat.postMessage after a timeout may post twice, and a retry would only hold up the
 * events behind it. One notifier's failure never affects another or the caller.
 * <li><b>Timeouts</b>: each request, connect to last body byte, is bounded by 5 s. The notifiers are called one
 * after another, so a dead receiver costs each event at most 5 s per notifier.
 * <li><b>Rate limit</b>: an error event (same kind and message) is delivered the first 3 times; later repeats are
 * only logged (plus a debug line saying it was suppressed) until {@link #success()} is called or a non-error event
 * is published, either of which means things moved again. Non-error events are never suppressed.
 * <li><b>Queue</b>: at most 256 events wait. When full, the oldest waiting non-error event is dropped (or the
 * oldest error if all are errors), with a warn line: the newest events, such as "stopping", matter most.
 * <li><b>Time</b> is taken when the event is published, not when it is delivered.
 * </ul>
 */
public final class Notifications implements Notices, AutoCloseable {
    static final int CAPACITY = 256;
    static final int REPEATS = 3;
    /** Distinct error messages tracked for the rate limit; more and the count starts over (never grows unbounded). */
    static final int TRACKED = 64;
    static final Duration CLOSE_BOUND = Duration.ofSeconds(1);
    private static final int MAX_ERROR_CHARS = 200;

    private final List<Notifier> notifiers;
    private final List<String> secrets;
    private final String configuredHost; // HOSTNAME, or null: looked up on the dispatcher thread
    private final LogSink log;
    private final Clock clock;
    private final int capacity;

    private final Object lock = new Object();
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    private final Map<String, Integer> errorRepeats = new HashMap<>();
    private long published; // seq of the last queued event
    private long done; // seq of the last delivered (or failed) event; dropped ones are passed over
    private boolean closed;
    private Thread thread;

    private record Entry(long seq, Event event, Instant time) {
    }

    Notifications(List<Notifier> notifiers, String host, LogSink log, Clock clock, int capacity) {
        this.notifiers = List.copyOf(notifiers);
        this.configuredHost = host == null || host.isBlank() ? null : host.strip();
        this.log = log;
        this.clock = clock;
        this.capacity = capacity;
        List<String> s = new ArrayList<>();
        for (Notifier n : this.notifiers) {
            if (n instanceof SlackNotifier slack) {
                s.addAll(slack.secrets());
            } else if (n instanceof WebhookNotifier webhook) {
                s.addAll(webhook.secrets());
            }
        }
        s.sort((a, b) -> b.length() - a.length()); // longest first: a full URL before its path
        this.secrets = List.copyOf(s);
    }

    /**
     * Parses the {@code --notifier} URLs (repeatable) with the environment ({@code SLACK_TOKEN},
     * {@code SLACK_API_URL}, {@code HOSTNAME}). An empty list is valid: events are only logged.
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

    /** Logs the event and queues it for the notifiers. Never blocks on I/O, never throws. */
    @Override
    public void publish(Event e) {
        if (e == null) {
            return;
        }
        try {
            logEvent(e);
            if (notifiers.isEmpty()) {
                return;
            }
            Instant time = clock.instant();
            int repeats = 0;
            Entry dropped = null;
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
                    if (queue.size() >= capacity) {
                        dropped = dropOne();
                    }
                    queue.add(new Entry(++published, e, time));
                    if (thread == null) {
                        startThread();
                    }
                    lock.notifyAll();
                }
            }
            if (repeats > REPEATS) {
                log.log(Log.Level.DEBUG, "notification suppressed, repeated error", "event", e.kind(),
                        "repeats", repeats);
            }
            if (dropped != null) {
                log.log(Log.Level.WARN, "notification dropped, queue full", "event", dropped.event().kind());
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
     * Waits until every event published so far is delivered or has failed, at most {@code bound}.
     *
     * @return true if all are done (also with no notifiers); false at the bound, after close, or when interrupted
     */
    public boolean flush(Duration bound) {
        long left = bound == null || bound.isNegative() ? 0 : Math.min(bound.toNanos(), TimeUnit.DAYS.toNanos(1));
        long deadline = System.nanoTime() + left;
        synchronized (lock) {
            long target = published;
            while (done < target) {
                if (closed) {
                    return false;
                }
                left = deadline - System.nanoTime();
                if (left <= 0) {
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

    /** Flushes for at most 1 s, then drops what is left and stops the thread (aborting a request in flight). */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
        }
        flush(CLOSE_BOUND);
        Thread t;
        synchronized (lock) {
            closed = true;
            queue.clear();
            t = thread;
            lock.notifyAll();
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
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

    /** The dispatcher thread, or null before the first event for a notifier (tests). */
    Thread thread() {
        synchronized (lock) {
            return thread;
        }
    }

    private void logEvent(Event e) {
        Object[] kv = e.version() == null
                ? new Object[] {"event", e.kind()}
                : new Object[] {"event", e.kind(), "version", e.version()};
        log.log(e.error() ? Log.Level.ERROR : Log.Level.INFO, e.message(), kv);
    }

    /** Called with the lock held and the queue full. */
    private Entry dropOne() {
        for (Iterator<Entry> it = queue.iterator(); it.hasNext();) {
            Entry en = it.next();
            if (!en.event().error()) {
                it.remove();
                return en;
            }
        }
        return queue.poll();
    }

    /** Lazily, at the first event for a notifier: a dewy without notifiers never starts it. */
    private void startThread() {
        Thread t = new Thread(this::run, "dewy-notify");
        t.setDaemon(true);
        t.start();
        thread = t; // after start: if start fails, the next publish tries again
    }

    private void run() {
        String host = host();
        while (true) {
            Entry en;
            synchronized (lock) {
                while (queue.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                en = queue.poll();
            }
            for (Notifier n : notifiers) {
                try {
                    n.send(en.event(), host, en.time());
                    log.log(Log.Level.DEBUG, "notification sent", "notifier", n.describe(), "event", en.event().kind());
                } catch (InterruptedException e) {
                    return; // close()
                } catch (Exception | LinkageError e) {
                    log.log(Log.Level.WARN, "notifier failed", "notifier", n.describe(), "event", en.event().kind(),
                            "error", redact(oneLine(e)));
                }
            }
            synchronized (lock) {
                done = en.seq();
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
