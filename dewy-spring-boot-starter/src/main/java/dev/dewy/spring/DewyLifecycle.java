package dev.dewy.spring;

import dev.dewy.app.Dewy;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;

/**
 * sd_notify from the application's own lifecycle: {@code READY=1} (and {@code STATUS=}) when readiness becomes
 * {@code ACCEPTING_TRAFFIC}, which Spring Boot publishes once the web server has started and the runners ran.
 * {@code STOPPING=1} when the context closes; dewy's TERM (a restart or a drain) starts that through the JVM's
 * shutdown hook. The context publishes ContextClosedEvent before it stops any lifecycle bean, so the server
 * stops accepting on the shared socket here, before the graceful shutdown waits for the requests in flight.
 */
class DewyLifecycle implements ApplicationListener<ApplicationEvent>, ApplicationContextAware {
    private static final Log LOG = LogFactory.getLog(DewyLifecycle.class);

    private final InheritedServer server;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private ApplicationContext context;

    DewyLifecycle(InheritedServer server) {
        this.server = server;
    }

    @Override
    public void setApplicationContext(ApplicationContext context) {
        this.context = context;
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof AvailabilityChangeEvent<?> change && change.getState() == ReadinessState.ACCEPTING_TRAFFIC) {
            if (Dewy.ready()) {
                Dewy.status("accepting traffic");
                LOG.info("sent READY=1 to dewy (" + Dewy.notifier() + ")");
            }
        } else if (event instanceof ContextClosedEvent closed && closed.getApplicationContext() == context
                && stopping.compareAndSet(false, true)) {
            Dewy.stopping();
            server.stopAccepting();
        }
    }
}
