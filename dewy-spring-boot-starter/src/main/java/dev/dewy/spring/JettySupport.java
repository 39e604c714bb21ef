package dev.dewy.spring;

import dev.dewy.app.InheritedChannels;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Jetty on the inherited socket, and its form of the acceptor trap: Jetty's graceful shutdown interrupts its
 * acceptor threads, and interrupting a thread blocked in {@code accept} makes the JDK close the channel, in that
 * thread, which for the inherited channel points stdout and stderr at /dev/null for the rest of the drain; an
 * interrupt that lands just as {@code accept} returns also leaves the accepted connection open and unserved. So
 * before the graceful shutdown the channel is closed here, with stdout and stderr kept (a connection accepted at that
 * moment is still served); then every response says {@code Connection: close}, and the connections this process
 * holds are served until each is closed or idle, before the connector shuts down. Spring's graceful shutdown waits
 * only for requests in progress: without that wait, a kept-alive connection whose next request was on its way
 * when the last request ended would be closed unanswered.
 */
final class JettySupport {
    private JettySupport() {
    }

    static void inherit(Object server) {
        for (Connector c : ((Server) server).getConnectors()) {
            if (c instanceof ServerConnector sc) {
                sc.setInheritChannel(true);
            }
        }
    }

    /**
     * Before Spring's graceful shutdown: stop accepting here, with stdout kept; turn off persistent connections
     * ({@code Connection: close} from then on), let every connection this process holds end or go idle, and shut
     * the connector down once the acceptors are past their last accept.
     */
    static void stopAccepting(Object server, Duration idle, Duration max) throws IOException {
        long end = System.nanoTime() + max.toNanos();
        for (Connector c : ((Server) server).getConnectors()) {
            if (c instanceof ServerConnector sc && sc.isInheritChannel()
                    && sc.getTransport() instanceof ServerSocketChannel channel) {
                Quiet.logger(AbstractConnector.class.getName()); // the closed channel's wake-up is no failure
                sc.setAccepting(false);
                InheritedChannels.close(channel);
                // a connection an acceptor got as the channel closed is served; an interrupt now could lose it
                for (Thread t : acceptors(sc)) {
                    while (t.isAlive() && t.getState() == Thread.State.RUNNABLE && System.nanoTime() < end) {
                        LockSupport.parkNanos(100_000);
                    }
                }
                for (ConnectionFactory f : sc.getConnectionFactories()) {
                    if (f instanceof HttpConnectionFactory h) {
                        h.getHttpConfiguration().setPersistentConnectionsEnabled(false); // Connection: close
                    }
                }
                while (System.nanoTime() < end && busy(sc, idle)) {
                    LockSupport.parkNanos(5_000_000);
                }
                // Only now: a response under way when Jetty shuts down keeps its keep-alive header, and Jetty then
                // closes its connection after it, under the client's next request.
                sc.shutdown();
            }
        }
    }

    private static boolean busy(ServerConnector sc, Duration idle) {
        for (EndPoint ep : sc.getConnectedEndPoints()) {
            if (ep.isOpen() && (!(ep instanceof IdleTimeout t) || t.getIdleFor() < idle.toMillis())) {
                return true;
            }
        }
        return false;
    }

    private static List<Thread> acceptors(ServerConnector sc) {
        try {
            Field f = AbstractConnector.class.getDeclaredField("_acceptors");
            f.setAccessible(true);
            List<Thread> out = new ArrayList<>();
            for (Thread t : (Thread[]) f.get(sc)) {
                if (t != null) {
                    out.add(t);
                }
            }
            return out;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LockSupport.parkNanos(100_000_000L); // an unknown Jetty: give the acceptors a moment instead
            return List.of();
        }
    }
}
