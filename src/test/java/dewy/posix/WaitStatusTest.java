package dewy.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WaitStatusTest {
    @Test
    void everyExitCode() {
        for (int code = 0; code <= 255; code++) {
            int status = WaitStatus.ofExit(code);
            assertEquals(code << 8, status);
            assertTrue(WaitStatus.exited(status), "exited " + code);
            assertFalse(WaitStatus.signaled(status), "signaled " + code);
            assertEquals(code, WaitStatus.exitCode(status));
            assertEquals(code, WaitStatus.shellCode(status));
            assertEquals("exited with " + code, WaitStatus.describe(status));
        }
    }

    @ParameterizedTest
    @CsvSource({"15,143,SIGTERM", "1,129,SIGHUP", "3,131,SIGQUIT", "9,137,SIGKILL", "2,130,SIGINT",
            "64,192,SIGRTMAX"})
    void killedBySignal(int signal, int shellCode, String name) {
        int status = WaitStatus.ofSignal(signal);
        assertTrue(WaitStatus.signaled(status));
        assertFalse(WaitStatus.exited(status));
        assertEquals(signal, WaitStatus.termSignal(status));
        assertEquals(shellCode, WaitStatus.shellCode(status));
        assertEquals("killed by " + name, WaitStatus.describe(status));
    }

    @Test
    void coreDump() {
        int status = WaitStatus.ofSignal(Signals.SIGSEGV) | 0x80;
        assertTrue(WaitStatus.signaled(status));
        assertEquals(Signals.SIGSEGV, WaitStatus.termSignal(status));
        assertEquals(139, WaitStatus.shellCode(status));
        assertEquals("killed by SIGSEGV (core dumped)", WaitStatus.describe(status));
        assertEquals("killed by SIGABRT (core dumped)", WaitStatus.describe(6 | 0x80));
        assertFalse(WaitStatus.describe(WaitStatus.ofSignal(6)).contains("core"));
    }

    @Test
    void rawKernelWords() {
        assertEquals(3, WaitStatus.shellCode(0x0300));
        assertEquals(143, WaitStatus.shellCode(0x000f));
        assertEquals("exited with 1", WaitStatus.describe(0x0100));
    }
}
