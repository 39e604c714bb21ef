package dev.dewy.spring;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;

/**
 * What adding {@code dev.dewy:dewy-spring-boot-starter} does, and only under a supervisor ({@link OnDewy}):
 * <ul>
 * <li>embedded Tomcat or Jetty serve on the listening socket dewy passed on fd 0 ({@code --port SPEC=0}) instead
 * of binding {@code server.port} ({@link DewyWebServerCustomizer});
 * <li>{@code READY=1} when the application's readiness becomes {@code ACCEPTING_TRAFFIC}, {@code STOPPING=1} when
 * the context starts closing; then the server stops accepting on the shared socket before Spring's graceful
 * shutdown finishes the requests in flight ({@link DewyLifecycle}).
 * </ul>
 */
@AutoConfiguration
@Conditional(OnDewy.class)
public class DewyAutoConfiguration {
    @Bean
    InheritedServer dewyInheritedServer() {
        return new InheritedServer();
    }

    @Bean
    DewyWebServerCustomizer dewyWebServerCustomizer(InheritedServer server, Environment environment) {
        return new DewyWebServerCustomizer(server, environment);
    }

    @Bean
    DewyLifecycle dewyLifecycle(InheritedServer server) {
        return new DewyLifecycle(server);
    }
}
