package dev.dewy.spring;

import dev.dewy.app.Dewy;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches under a supervisor: a listening socket on fd 0, or NOTIFY_SOCKET, SERVER_STARTER_PORT or LISTEN_FDS set;
 * and {@code dewy.enabled} is not false. Outside one the starter configures nothing at all. A SpringBootCondition,
 * so that {@code --debug}'s conditions report says which way it went and why.
 */
class OnDewy extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        if (!context.getEnvironment().getProperty("dewy.enabled", Boolean.class, true)) {
            return ConditionOutcome.noMatch("dewy.enabled=false");
        }
        String why = supervisedBy();
        return why == null
                ? ConditionOutcome.noMatch("no supervisor: no listening socket on fd 0, no NOTIFY_SOCKET, "
                        + "SERVER_STARTER_PORT or LISTEN_FDS")
                : ConditionOutcome.match("under a supervisor: " + why);
    }

    /** What shows a supervisor, or null. */
    private static String supervisedBy() {
        if (Dewy.inheritedChannel().isPresent()) {
            return "a listening socket on fd 0";
        }
        for (String name : new String[] {"NOTIFY_SOCKET", "SERVER_STARTER_PORT", "LISTEN_FDS"}) {
            String v = System.getenv(name);
            if (v != null && !v.isEmpty()) {
                return name + " set";
            }
        }
        return null;
    }
}
