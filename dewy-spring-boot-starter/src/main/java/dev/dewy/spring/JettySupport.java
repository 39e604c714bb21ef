package dev.dewy.spring;

import dev.dewy.app.InheritedChannels;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Jetty on the inherited socket, and its form of the acceptor trap: Jetty's graceful shutdown interrupts its
 * acceptor threads, and interrupting a thread blocked in {@code accept} makes the JDK close the channel, in that
 * thread, which for the inherited channel points stdout and stderr at /dev/null for the rest of the drain; an
 * interrupt that lands just as {@code accept} returns also leaves the accepted connection open and unserved. So
 * before the graceful shutdown the connector stops accepting and the channel is closed here, with stdout and stderr
 * kept: a connection accepted at that moment is still served.
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

    static void stopAccepting(Object server) throws IOException {
        for (Connector c : ((Server) server).getConnectors()) {
            if (c instanceof ServerConnector sc && sc.isInheritChannel()
                    && sc.getTransport() instanceof ServerSocketChannel channel) {
                Quiet.logger(AbstractConnector.class.getName());
                sc.setAccepting(false);
                InheritedChannels.close(channel);
            }
        }
    }
}
