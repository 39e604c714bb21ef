package dev.dewy.app;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * systemd's sd_notify protocol: one datagram of {@code KEY=VALUE} lines to the unix socket that {@code NOTIFY_SOCKET}
 * names (a path, or {@code @name} in Linux's abstract namespace). dewy gives each generation its own socket; systemd
 * gives a {@code Type=notify} service {@code /run/systemd/notify}. The same bytes work for both.
 * <p>
 * Without {@code NOTIFY_SOCKET} every call does nothing and returns false. A message that cannot be sent is logged
 * (System.Logger {@code dev.dewy.app}, once per kind of failure) and returns false; no call throws.
 */
public final class SdNotify {
    private static final System.Logger LOG = System.getLogger("dev.dewy.app");

    private final String socket;
    private final byte[] address;
    private final Duration watchdog;
    private volatile String lastFailure;

    private SdNotify(String socket, Duration watchdog) {
        byte[] a = null;
        if (socket != null && !socket.isEmpty()) {
            if (UnixAddress.supported(socket)) {
                a = UnixAddress.of(socket);
            } else {
                LOG.log(Level.WARNING, "NOTIFY_SOCKET=" + socket + " is not a unix socket path or @name; sd_notify is off");
            }
        }
        this.socket = a == null ? null : socket;
        this.address = a;
        this.watchdog = watchdog;
    }

    /** From this process's {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID}. */
    public static SdNotify fromEnvironment() {
        return of(System.getenv());
    }

    /** From the given variables (the same names as {@link #fromEnvironment()}). */
    public static SdNotify of(Map<String, String> env) {
        return new SdNotify(env.get("NOTIFY_SOCKET"), watchdogInterval(env, ProcessHandle.current().pid()));
    }

    /** True when {@code NOTIFY_SOCKET} names a socket: a supervisor listens. */
    public boolean enabled() {
        return address != null;
    }

    /** The socket messages go to, if any. */
    public Optional<String> socket() {
        return Optional.ofNullable(socket);
    }

    /** {@code READY=1}: start-up is complete, the application serves. */
    public boolean ready() {
        return send("READY=1");
    }

    /** {@code STOPPING=1}: shutdown has begun. */
    public boolean stopping() {
        return send("STOPPING=1");
    }

    /**
     * {@code RELOADING=1} with {@code MONOTONIC_USEC=} the current CLOCK_MONOTONIC time in microseconds, as systemd
     * wants for {@code Type=notify-reload}; send {@link #ready()} when the reload is done.
     */
    public boolean reloading() {
        return send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
    }

    /** {@code STATUS=text}: one line for {@code systemctl status} or dewy's {@code /status}. Newlines become spaces. */
    public boolean status(String text) {
        return send("STATUS=" + text.replace('\n', ' ').replace('\r', ' '));
    }

    /** {@code WATCHDOG=1}: one keep-alive ping. */
    public boolean watchdog() {
        return send("WATCHDOG=1");
    }

    /**
     * How often the supervisor expects {@link #watchdog()}: {@code WATCHDOG_USEC}, when {@code WATCHDOG_PID} is
     * unset or this process.
     */
    public Optional<Duration> watchdogInterval() {
        return Optional.ofNullable(watchdog);
    }

    /**
     * Pings {@link #watchdog()} at half the {@link #watchdogInterval()} from a daemon thread, as systemd advises;
     * closing the result stops it. Without a watchdog it does nothing.
     */
    public AutoCloseable startWatchdog() {
        if (watchdog == null || !enabled()) {
            return () -> { };
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dewy-watchdog");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, watchdog.toNanos() / 2);
        timer.scheduleAtFixedRate(this::watchdog, 0, every, TimeUnit.NANOSECONDS);
        return timer::shutdownNow;
    }

    /**
     * Sends {@code state} as it is (lines of {@code KEY=VALUE}, UTF-8) in one datagram. Returns whether it was sent:
     * false without {@code NOTIFY_SOCKET} or when sending failed.
     */
    public boolean send(String state) {
        if (address == null) {
            return false;
        }
        String why = Native.unavailable();
        if (why == null) {
            try {
                Native.sendDatagram(address, state.getBytes(StandardCharsets.UTF_8));
                return true;
            } catch (IOException | RuntimeException e) {
                why = "sending to NOTIFY_SOCKET=" + socket + " failed: " + e.getMessage();
            }
        }
        if (!why.equals(lastFailure)) {
            lastFailure = why;
            LOG.log(Level.WARNING, "sd_notify " + state.lines().findFirst().orElse("") + ": " + why);
        }
        return false;
    }

    static Duration watchdogInterval(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        String owner = env.get("WATCHDOG_PID");
        try {
            if (usec == null || (owner != null && !owner.isEmpty() && Long.parseLong(owner) != pid)) {
                return null;
            }
            long us = Long.parseLong(usec);
            return us > 0 ? Duration.ofNanos(us * 1000) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return enabled() ? "sd_notify to " + socket + " (" + Native.implementation() + ")" : "sd_notify off";
    }
}
