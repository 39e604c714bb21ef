package dewy.admin;

import dewy.supervisor.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code --pid-file} and {@code --status-file}. The status file has server-starter's format, one
 * {@code GENERATION:PID} line per live generation, oldest first; both are replaced atomically (write, then rename).
 */
public final class StatusFiles {
    private StatusFiles() {
    }

    public static String statusText(Status s) {
        StringBuilder b = new StringBuilder();
        for (Status.Gen g : s.generations()) {
            b.append(g.generation()).append(':').append(g.pid()).append('\n');
        }
        return b.toString();
    }

    public static void write(Path file, String content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
