package dewy.posix;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Resolves a command the way execvp/posix_spawnp will, so a restart can be refused while the old generation still
 * runs instead of failing after it has been stopped.
 */
public final class Executables {
    private Executables() {
    }

    /** Empty when {@code command} would start; otherwise the failure posix_spawnp would report. */
    public static Optional<SpawnException> check(String command, String path, Path cwd) {
        if (command.isEmpty()) {
            return Optional.of(new SpawnException(command, Posix.ENOENT, "no such file or directory"));
        }
        if (command.contains("/")) {
            return problem(cwd.resolve(command), command);
        }
        SpawnException firstDenied = null;
        for (String dir : (path == null ? "/usr/local/bin:/bin:/usr/bin" : path).split(":", -1)) {
            Path candidate = (dir.isEmpty() ? cwd : cwd.resolve(dir)).resolve(command);
            Optional<SpawnException> p = problem(candidate, command);
            if (p.isEmpty()) {
                return p;
            }
            if (!p.get().notFound() && firstDenied == null) {
                firstDenied = p.get();
            }
        }
        return Optional.of(firstDenied != null ? firstDenied
                : new SpawnException(command, Posix.ENOENT, "no such file or directory"));
    }

    private static Optional<SpawnException> problem(Path file, String command) {
        if (!Files.exists(file)) {
            return Optional.of(new SpawnException(command, Posix.ENOENT, "no such file or directory"));
        }
        if (Files.isDirectory(file) || !Files.isExecutable(file)) {
            return Optional.of(new SpawnException(command, Posix.EACCES, "permission denied"));
        }
        return Optional.empty();
    }
}
