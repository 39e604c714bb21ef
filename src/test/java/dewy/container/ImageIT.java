package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.command.InspectImageResponse;
import dewy.posix.SignalSet;
import dewy.posix.Signals;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Case 1: in the built image, dewy is PID 1 from the first instruction, and the application runs under it. */
@ContainerTest
class ImageIT {
    private static final List<String> CMD = List.of("--", StaticTestApp.IN_CONTAINER, "pause", DewyContainer.RECORD);
    private static DewyContainer dewy;

    @BeforeAll
    static void start() {
        dewy = new DewyContainer(DewyContainer.IMAGE).withCommand(CMD.toArray(String[]::new)).startReady();
    }

    @AfterAll
    static void stop() {
        if (dewy != null) {
            dewy.stop();
        }
    }

    @Test
    void theImageIsConfiguredAsThePomSays() {
        InspectImageResponse image = dewy.getDockerClient().inspectImageCmd(DewyContainer.IMAGE).exec();
        assertEquals(ImageEntrypoint.expected(true), List.of(image.getConfig().getEntrypoint()));
        assertEquals("65532:65532", image.getConfig().getUser());
        assertEquals(ImageEntrypoint.INSTALL_DIR, image.getConfig().getWorkingDir());
    }

    @Test
    void dewysJvmIsPid1WithoutReExecutingAndTheApplicationIsItsChild() {
        // env exec'd java in place: PID 1's command line is the entrypoint's java part plus CMD, nothing added
        List<String> java = new ArrayList<>(ImageEntrypoint.expected(true).subList(ImageEntrypoint.ENV_WORDS,
                ImageEntrypoint.expected(true).size()));
        java.addAll(CMD);
        assertEquals(java, dewy.cmdline(1));
        List<String> environ = dewy.environ(1);
        assertTrue(environ.contains("_JAVA_SR_SIGNUM=63"), environ.toString());
        assertTrue(environ.stream().noneMatch(v -> v.startsWith("_DEWY_RELAUNCHED=")),
                "a re-exec would have set its guard: " + environ);
        assertTrue(dewy.dewyLog().contains("pid=1 mode=pid1 jvm_relaunched=false"), dewy.dewyLog());
        assertTrue(environ.contains("_DEWY_SAVED_JAVA_TOOL_OPTIONS="), "env -S saved it (empty: unset): " + environ);
        assertTrue(environ.stream().noneMatch(v -> v.startsWith("JAVA_TOOL_OPTIONS=")), environ.toString());

        int app = dewy.app();
        DewyContainer.Proc proc = dewy.processes().stream().filter(p -> p.pid() == app).findFirst().orElseThrow();
        assertEquals("testapp", proc.comm());
        assertEquals(app, proc.pgid(), "the application leads its own process group");
        String status = dewy.sh("cat /proc/" + app + "/status");
        assertEquals("0000000000000000", DewyContainer.statusField(status, "SigBlk"), "the application starts unblocked");
        assertTrue(dewy.environ(app).stream().noneMatch(v -> v.startsWith("_JAVA_SR_SIGNUM=")));
        assertTrue(dewy.environ(app).stream().noneMatch(v -> v.startsWith("_DEWY_SAVED_")), "dewy's copies only");
    }

    @Test
    void everyJvmThreadHasDewysSignalsBlocked() {
        String[] tasks = dewy.sh("for t in /proc/1/task/*; do grep SigBlk $t/status; done").trim().split("\n");
        assertTrue(tasks.length > 5, "looked at the JVM's threads: " + tasks.length);
        int waiting = 0;
        for (String line : tasks) {
            SignalSet blocked = SignalSet.fromProcHex(line.substring("SigBlk:".length()).trim());
            if (blocked.isEmpty()) {
                waiting++; // the loop thread, inside sigwaitinfo
            } else {
                assertTrue(blocked.containsAll(Signals.HANDLED), line);
            }
        }
        assertTrue(waiting <= 1, "only the loop thread may show an empty mask");
    }

    @Test
    void theImagesOwnArchiveAndThePreExtractedStubAreMapped() {
        String maps = dewy.sh("cat /proc/1/maps");
        assertTrue(maps.contains(" /app/dewy.jsa"), "AppCDS archive not mapped: the JVM rejected it");
        String arch = dewy.sh("uname -m").trim();
        assertTrue(maps.contains(" /app/jffi/jni/" + arch + "-Linux/libjffi-1.2.so"), "jffi stub not from /app/jffi");
        // /tmp holds only the JVM's attach socket (.java_pid1, opened at start under -Xrs), no extracted stub
        String tmp = dewy.sh("ls -A /tmp");
        assertFalse(tmp.contains("jffi"), tmp);
    }

    @Test
    void runsAsTheImagesUnprivilegedUser() {
        String uid = DewyContainer.statusField(dewy.sh("cat /proc/1/status"), "Uid");
        assertTrue(uid.startsWith("65532\t"), uid);
    }
}
