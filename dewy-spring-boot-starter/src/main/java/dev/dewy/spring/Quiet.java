package dev.dewy.spring;

import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;

/**
 * Turns off one logger for the rest of the shutdown: the server's acceptor reports the accept that the closed
 * inherited channel interrupts as a failure (Tomcat an ERROR with a stack trace, Jetty a WARN), which it is not.
 */
final class Quiet {
    private Quiet() {
    }

    static void logger(String name) {
        try {
            LoggingSystem.get(Quiet.class.getClassLoader()).setLogLevel(name, LogLevel.OFF);
        } catch (RuntimeException | LinkageError e) {
            // no logging system that Boot knows: the line will show, nothing worse
        }
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(name);
        jul.setLevel(java.util.logging.Level.OFF);
        KEEP.add(jul); // JUL holds its loggers weakly; a collected one would forget the level
    }

    private static final java.util.List<java.util.logging.Logger> KEEP = new java.util.concurrent.CopyOnWriteArrayList<>();
}
