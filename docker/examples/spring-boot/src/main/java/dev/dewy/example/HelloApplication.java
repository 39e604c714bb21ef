package dev.dewy.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * dewy's Spring Boot example: an ordinary web app. Nothing in it knows about dewy; the starter on the class path
 * makes its server take the socket dewy holds, say READY=1 and drain on dewy's signals.
 * <p>
 * Routes, as the other examples (docker/examples/README.md): {@code GET /} answers {@code pid=<pid> gen=<gen>};
 * {@code GET /sleep?ms=N} waits N ms first, a request that outlasts a restart.
 */
@SpringBootApplication
@RestController
public class HelloApplication {
    static final long PID = ProcessHandle.current().pid();
    static final String GEN = System.getenv().getOrDefault("SERVER_STARTER_GENERATION", "0");

    public static void main(String[] args) {
        SpringApplication.run(HelloApplication.class, args);
    }

    @GetMapping("/")
    public String hello() {
        return "pid=" + PID + " gen=" + GEN + "\n";
    }

    @GetMapping("/sleep")
    public String sleep(@RequestParam(defaultValue = "0") long ms) throws InterruptedException {
        Thread.sleep(Math.max(0, Math.min(ms, 600_000)));
        return "pid=" + PID + " gen=" + GEN + " slept=" + ms + "\n";
    }
}
