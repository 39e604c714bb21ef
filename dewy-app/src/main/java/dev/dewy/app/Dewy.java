package dev.dewy.app;

import java.util.Optional;

/**
 * The one entry point for an application under dewy (or systemd): readiness and status over sd_notify, and the
 * listening sockets it was given. Every call is a no-op outside a supervisor.
 *
 * <pre>{@code
 * ServerSocketChannel listener = Dewy.inheritedChannel().orElseGet(() -> bindYourOwn());   // dewy --port SPEC=0
 * ... start serving ...
 * Dewy.ready();            // dewy --ready notify: now the old generation may stop
 * ... on SIGTERM: Dewy.stopping(); stop accepting, finish what was accepted ...
 * }</pre>
 */
public final class Dewy {
    private static volatile SdNotify notify;

    private Dewy() {
    }

    /** The sd_notify sender for this process ({@code NOTIFY_SOCKET}), made once. */
    public static SdNotify notifier() {
        SdNotify n = notify;
        if (n == null) {
            synchronized (Dewy.class) {
                if (notify == null) {
                    notify = SdNotify.fromEnvironment();
                }
                n = notify;
            }
        }
        return n;
    }

    /** True when a supervisor listens on {@code NOTIFY_SOCKET}. */
    public static boolean supervised() {
        return notifier().enabled();
    }

    public static boolean ready() {
        return notifier().ready();
    }

    public static boolean stopping() {
        return notifier().stopping();
    }

    public static boolean reloading() {
        return notifier().reloading();
    }

    public static boolean status(String text) {
        return notifier().status(text);
    }

    public static boolean watchdog() {
        return notifier().watchdog();
    }

    /** The sockets passed to this process. */
    public static Listeners listeners() {
        return Listeners.fromEnvironment();
    }

    /** The listening socket on fd 0 as a JDK channel ({@code --port SPEC=0}), if there is one. */
    public static Optional<java.nio.channels.ServerSocketChannel> inheritedChannel() {
        return Listeners.inheritedServerChannel();
    }
}
