package dev.dewy.spring;

import dev.dewy.app.Dewy;
import java.nio.channels.ServerSocketChannel;
import java.util.Optional;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The embedded server that serves on the inherited socket, as the customizer saw it (a Tomcat Connector or a Jetty
 * Server), and how it stops accepting on that socket without dropping a connection and without losing stdout.
 */
class InheritedServer {
    private static final Log LOG = LogFactory.getLog(InheritedServer.class);

    /** A connection idle this long during the drain is left to the server's stop, as the examples do. */
    static final java.time.Duration IDLE = java.time.Duration.ofSeconds(1);
    /**
     * The longest the drain before Spring's graceful shutdown waits for the connections (Spring's own default for
     * a shutdown phase); that one waits on for the requests still in progress.
     */
    static final java.time.Duration MAX_WAIT = java.time.Duration.ofSeconds(30);

    private volatile Object tomcatConnector;
    private volatile Object jettyServer;

    /** fd 0 when it is a listening socket: what Tomcat and Jetty take as their inherited channel. */
    Optional<ServerSocketChannel> channel() {
        return Dewy.inheritedChannel();
    }

    void tomcat(Object connector) {
        tomcatConnector = connector;
    }

    void jetty(Object server) {
        jettyServer = server;
    }

    /** Called once, as shutdown begins. */
    void stopAccepting() {
        try {
            if (tomcatConnector != null) {
                TomcatSupport.stopAccepting(tomcatConnector, IDLE, MAX_WAIT);
            } else if (jettyServer != null) {
                JettySupport.stopAccepting(jettyServer, IDLE, MAX_WAIT);
            }
        } catch (RuntimeException | LinkageError | java.io.IOException e) {
            LOG.warn("could not stop accepting on the socket dewy holds before the graceful shutdown: " + e, e);
        }
    }
}
