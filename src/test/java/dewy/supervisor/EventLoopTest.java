package dewy.supervisor;

import static dewy.posix.Signals.SIGUSR1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dewy.cli.Config;
import dewy.posix.SignalInfo;
import dewy.starter.Readiness;
import dewy.starter.Starter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The loop survives whatever an event throws: PID 1 must not end and take the application with it. */
class EventLoopTest {
    @Test
    void anErrorWhileHandlingAnEventIsLoggedAndTheLoopGoesOn() {
        FakeProcesses procs = new FakeProcesses();
        AtomicLong now = new AtomicLong(1_000_000_000L);
        Config config = Config.builder(List.of("/app")).readiness(Readiness.delay(Duration.ZERO)).build();
        Supervisor s = new Supervisor(config, new Starter(List.of(), List.of(), null), procs, now::get, 1,
                Lifecycle.NONE, null);
        s.start();
        procs.nextReapFailure = new StackOverflowError("deep");
        EventLoop.signal(s, new SignalInfo(SIGUSR1, SignalInfo.SI_USER, 0)); // must not throw
        procs.nextReapFailure = new OutOfMemoryError("heap");
        EventLoop.timer(s);
        procs.exit(100, dewy.posix.WaitStatus.ofSignal(15));
        procs.groups.remove(100);
        EventLoop.timer(s);
        assertEquals(List.of(100, 101), procs.spawned, "the USR1 that arrived with the error still restarts");
        assertFalse(s.done());
    }
}
