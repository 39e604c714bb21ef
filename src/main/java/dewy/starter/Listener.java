package dewy.starter;

/**
 * A socket dewy listens on and hands to every generation.
 *
 * @param spec    what the user asked for
 * @param dewyFd  the descriptor in dewy (close-on-exec, above every {@code childFd})
 * @param childFd where the application finds it
 * @param port    the bound TCP port (the real one when the spec said 0), 0 for unix sockets
 */
public record Listener(ListenSpec spec, int dewyFd, int childFd, int port) {
}
