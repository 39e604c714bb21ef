package dev.dewy.example;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * A slow start-up on demand ({@code --app.startup-delay-ms=5000}): a bean that takes that long to be created, as
 * a cache warm-up or a migration would. The web server listens only once every bean exists.
 */
@Component
class StartupDelay {
    StartupDelay(@Value("${app.startup-delay-ms:0}") long ms) throws InterruptedException {
        Thread.sleep(ms);
    }
}
