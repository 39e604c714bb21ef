package dewy.supervisor;

/** One generation's sd_notify socket: the descriptor dewy reads, the path the application writes to. */
public record NotifyChannel(int fd, String path) {
}
