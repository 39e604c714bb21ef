package dev.dewy.spring;

import dev.dewy.app.Dewy;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.function.Consumer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.Shutdown;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Makes the embedded server serve on the listening socket dewy passed on fd 0 ({@code --port SPEC=0}) instead of
 * binding {@code server.port}, which dewy already holds: Tomcat's connector property {@code useInheritedChannel},
 * Jetty's {@code ServerConnector.setInheritChannel}. Also turns on {@code server.shutdown=graceful} unless the
 * application set {@code server.shutdown} itself (it is the default from Boot 3.4 on).
 * <p>
 * Spring Boot 4 moved the Tomcat and Jetty factories and their customizer interfaces to new packages. Both
 * generations have {@code addConnectorCustomizers(...)} (Tomcat) and {@code addServerCustomizers(...)} (Jetty), so
 * the customizer finds that method on the factory and passes a proxy of whatever interface it takes; what the proxy
 * receives, Tomcat's {@code Connector} and Jetty's {@code Server}, did not move.
 */
class DewyWebServerCustomizer implements WebServerFactoryCustomizer<ConfigurableWebServerFactory>, Ordered {
    private static final Log LOG = LogFactory.getLog(DewyWebServerCustomizer.class);

    private final InheritedServer server;
    private final Environment environment;

    DewyWebServerCustomizer(InheritedServer server, Environment environment) {
        this.server = server;
        this.environment = environment;
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE; // after Boot's own customizers, which apply server.* properties
    }

    @Override
    public void customize(ConfigurableWebServerFactory factory) {
        if (server.channel().isEmpty()) {
            if (!Dewy.listeners().isEmpty()) {
                LOG.warn("dewy passed listening sockets " + Dewy.listeners() + ", but none on fd 0, the only one a JVM "
                        + "server can take: run dewy with --port SPEC=0 (for example --port 8080=0)");
            }
            return;
        }
        if (environment.getProperty("server.shutdown") == null) {
            factory.setShutdown(Shutdown.GRACEFUL);
        }
        if (add(factory, "addConnectorCustomizers", connector -> {
            TomcatSupport.inherit(connector);
            server.tomcat(connector);
        })) {
            LOG.info("Tomcat serves on the socket dewy holds: " + describe());
        } else if (add(factory, "addServerCustomizers", jetty -> {
            JettySupport.inherit(jetty);
            server.jetty(jetty);
        })) {
            LOG.info("Jetty serves on the socket dewy holds: " + describe());
        } else {
            LOG.warn(factory.getClass().getName() + " cannot serve on a socket it did not bind, so it will try to "
                    + "bind server.port, which dewy holds: with this server, run dewy without --port (README \"Java "
                    + "servers\")");
        }
    }

    private String describe() {
        return Dewy.listeners().inherited().map(l -> "fd 0, " + (l.address() != null ? l.address() : l.spec()))
                .orElse("fd 0");
    }

    /** Calls {@code factory.NAME(proxy)} where NAME takes an array of a one-method customizer interface. */
    private static boolean add(Object factory, String name, Consumer<Object> customize) {
        for (Method m : factory.getClass().getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == 1 && m.getParameterTypes()[0].isArray()) {
                Class<?> type = m.getParameterTypes()[0].getComponentType();
                InvocationHandler handler = (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "equals" -> proxy == args[0];
                            case "hashCode" -> System.identityHashCode(proxy);
                            default -> "dewy " + type.getSimpleName();
                        };
                    }
                    if (args != null && args.length == 1 && !method.isDefault()) {
                        customize.accept(args[0]);
                    }
                    return null;
                };
                Object customizers = Array.newInstance(type, 1);
                Array.set(customizers, 0, Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
                try {
                    m.invoke(factory, customizers);
                    return true;
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot add a customizer to " + factory.getClass().getName(), e);
                }
            }
        }
        return false;
    }
}
