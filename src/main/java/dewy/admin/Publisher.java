package dewy.admin;

import dewy.log.Log;
import dewy.supervisor.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Where each new {@link Status} goes: the admin server (if any) and the status file (if any). */
public final class Publisher implements Consumer<Status> {
    private final AdminServer admin;
    private final Path statusFile;
    private final Consumer<Status> systemd;
    private String lastWritten;

    private Publisher(AdminServer admin, Path statusFile, Consumer<Status> systemd) {
        this.admin = admin;
        this.statusFile = statusFile;
        this.systemd = systemd;
    }

    /**
     * Each may be null: no admin server, no status file, not under systemd's Type=notify. Null when all are: then
     * nobody reads a Status and the loop need not build one per event.
     */
    public static Publisher of(AdminServer admin, Path statusFile, Consumer<Status> systemd) {
        return admin == null && statusFile == null && systemd == null ? null
                : new Publisher(admin, statusFile, systemd);
    }

    @Override
    public void accept(Status status) {
        if (admin != null) {
            admin.publish(status);
        }
        if (systemd != null) {
            systemd.accept(status);
        }
        if (statusFile != null) {
            String text = StatusFiles.statusText(status);
            if (!text.equals(lastWritten)) {
                try {
                    StatusFiles.write(statusFile, text);
                    lastWritten = text;
                } catch (IOException e) {
                    Log.warn("cannot write the status file", "path", statusFile, "error", e.toString());
                }
            }
        }
    }
}
