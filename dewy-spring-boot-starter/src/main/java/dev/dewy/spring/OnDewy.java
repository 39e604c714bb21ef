package dev.dewy.spring;

import dev.dewy.app.Dewy;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches under a supervisor: a listening socket on fd 0, or NOTIFY_SOCKET, SERVER_STARTER_PORT or LISTEN_FDS set;
 * and {@code dewy.enabled} is not false. Outside one the starter configures nothing at all.
 */
class OnDewy implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
        if (!context.getEnvironment().getProperty("dewy.enabled", Boolean.class, true)) {
            return false;
        }
        return supervised();
    }

    static boolean supervised() {
        return Dewy.inheritedChannel().isPresent() || present("NOTIFY_SOCKET") || present("SERVER_STARTER_PORT")
                || present("LISTEN_FDS");
    }

    private static boolean present(String name) {
        String v = System.getenv(name);
        return v != null && !v.isEmpty();
    }
}
