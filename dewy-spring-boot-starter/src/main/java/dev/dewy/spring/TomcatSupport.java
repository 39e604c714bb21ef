package dev.dewy.spring;

import dev.dewy.app.Dewy;
import dev.dewy.app.InheritedChannels;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.apache.catalina.Container;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.core.StandardWrapper;
import org.apache.tomcat.util.net.AbstractEndpoint;
import org.apache.tomcat.util.net.Acceptor;
import org.apache.tomcat.util.net.NioEndpoint;
import org.apache.tomcat.util.net.SocketWrapperBase;

/**
 * Tomcat on the inherited socket, and the acceptor trap.
 * <p>
 * Tomcat's pause wakes its acceptor thread, blocked in {@code accept(2)}, by connecting to its own port. On a socket
 * shared with the next generation, that connection may be accepted by the other process; this acceptor stays
 * blocked, then accepts a real client's connection, sees the endpoint paused, and closes it: a reset. A paused
 * Tomcat also refuses what its connections send next: a request on a kept-alive connection is closed unanswered,
 * one whose line it is reading gets a 503. Spring's graceful shutdown pauses first and waits for the requests
 * in flight after.
 * <p>
 * So before the graceful shutdown, while Tomcat still serves normally: every response from then on says
 * {@code Connection: close}; the acceptor is told to stop and the inherited channel is closed in this process (the
 * socket stays open in dewy and the other generation), which wakes it at once without a connection; then the
 * connections this process holds are served until each is closed or idle. Only then does the graceful shutdown
 * pause Tomcat: its unlock finds the acceptor gone and connects to nothing, and nothing is left to refuse but idle
 * connections.
 */
final class TomcatSupport {
    private TomcatSupport() {
    }

    static void inherit(Object connector) {
        ((Connector) connector).setProperty("useInheritedChannel", "true");
    }

    /**
     * Before Spring's graceful shutdown: stop accepting here, let every connection this process holds end, then
     * return (the graceful shutdown then pauses Tomcat, which finds nothing left to refuse).
     */
    static void stopAccepting(Object c, Duration idle, Duration max) throws IOException {
        Connector connector = (Connector) c;
        ServerSocketChannel channel = Dewy.inheritedChannel().orElse(null);
        AbstractEndpoint<?, ?> endpoint = endpoint(connector);
        if (channel == null || endpoint == null) {
            return;
        }
        // every response from now on says Connection: close, so keep-alive clients move to the next generation
        endpoint.setMaxKeepAliveRequests(1);
        Acceptor<?> acceptor = (Acceptor<?>) get(endpoint, "acceptor");
        Quiet.logger(Acceptor.class.getName()); // its wake-up is the closed channel's, not a failure
        InheritedChannels.close(channel);
        long end = System.nanoTime() + max.toNanos();
        if (acceptor != null) {
            // Not before the acceptor is past its last accept: one that returned a connection as the channel
            // closed must still be served, and a stopping acceptor destroys what it accepts. Once it sleeps in its
            // error back-off, its accepts fail on the closed channel; then it may leave its loop.
            Thread thread = thread(acceptor);
            long wait = System.nanoTime() + 1_000_000_000L;
            while (thread != null && thread.getState() != Thread.State.TIMED_WAITING && thread.isAlive()
                    && System.nanoTime() < wait) {
                LockSupport.parkNanos(100_000);
            }
            if (thread == null) {
                LockSupport.parkNanos(100_000_000L);
            }
            set(acceptor, "stopCalled", true);
            while (acceptor.getState() == Acceptor.AcceptorState.RUNNING && System.nanoTime() < end) {
                LockSupport.parkNanos(1_000_000); // ENDED: Tomcat's own pause will not try to wake it
            }
        }
        // connections accepted before the close: served, each answered with Connection: close
        while (System.nanoTime() < end && (serving(connector) || busy(endpoint, idle))) {
            LockSupport.parkNanos(5_000_000);
        }
    }

    /**
     * Whether a request is in progress (a servlet allocated, or an async request): a long request's kept-alive
     * connection sends its next request after it, which must find Tomcat unpaused. Spring Boot's graceful shutdown
     * asks the same.
     */
    private static boolean serving(Connector connector) {
        for (Container host : connector.getService().getContainer().findChildren()) {
            for (Container context : host.findChildren()) {
                if (context instanceof StandardContext c && c.getInProgressAsyncCount() > 0) {
                    return true;
                }
                for (Container wrapper : context.findChildren()) {
                    if (wrapper instanceof StandardWrapper w && w.getCountAllocated() > 0) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** A connection is busy until it is closed or has neither read nor written for {@code idle}. */
    private static boolean busy(AbstractEndpoint<?, ?> endpoint, Duration idle) {
        long now = System.currentTimeMillis();
        for (SocketWrapperBase<?> w : endpoint.getConnections()) {
            if (w.isClosed()) {
                continue;
            }
            if (!(w instanceof NioEndpoint.NioSocketWrapper n)
                    || now - Math.max(n.getLastRead(), n.getLastWrite()) < idle.toMillis()) {
                return true;
            }
        }
        return false;
    }

    /** The acceptor's thread, found by the name Tomcat gave it. */
    private static Thread thread(Acceptor<?> acceptor) {
        Object name = get(acceptor, "threadName");
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        return null;
    }

    private static AbstractEndpoint<?, ?> endpoint(Connector connector) {
        try {
            Method m = findMethod(connector.getProtocolHandler().getClass(), "getEndpoint");
            m.setAccessible(true);
            return (AbstractEndpoint<?, ?>) m.invoke(connector.getProtocolHandler());
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Method findMethod(Class<?> type, String name) throws NoSuchMethodException {
        for (Class<?> t = type; t != null; t = t.getSuperclass()) {
            for (Method m : t.getDeclaredMethods()) {
                if (m.getName().equals(name) && m.getParameterCount() == 0) {
                    return m;
                }
            }
        }
        throw new NoSuchMethodException(type.getName() + "." + name);
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        for (Class<?> t = type; t != null; t = t.getSuperclass()) {
            try {
                Field f = t.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException e) {
                // look further up
            }
        }
        throw new NoSuchFieldException(type.getName() + "." + name);
    }

    private static void set(Object target, String name, boolean value) {
        try {
            field(target.getClass(), name).setBoolean(target, value);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // an unknown Tomcat: its own pause will do, with its wake-up connection
        }
    }

    private static Object get(Object target, String name) {
        try {
            return field(target.getClass(), name).get(target);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
