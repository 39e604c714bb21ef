package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.pid1.HttpLoad.Kind;
import dewy.pid1.HttpLoad.Outcome;
import dewy.pid1.HttpLoad.Target;
import dewy.posix.Signals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real preforking servers from Debian packages under dewy as PID 1: gunicorn 20.1 ({@code python3-gunicorn}) and
 * uWSGI 2.0.21 ({@code uwsgi}, {@code uwsgi-plugin-python3}). Each runs a master and three sync workers that serve
 * {@code src/test/python/prefork_app.py} from the socket dewy holds on 127.0.0.1, and sends READY=1 itself. The
 * load (keep-alive, one connection per request, and 2 s requests that outlast a restart) is bounded in time and
 * count.
 *
 * <p>These servers handle the restart, stop and reload signals in the master, which drains its workers. A worker
 * that gets the signal itself drops what it serves: gunicorn's workers die of HUP (they reset it to its default
 * action), uWSGI's die of TERM. So with {@code --signal-group} (or before 2c82cb9) gunicorn's HUP test and uWSGI's
 * restart and TERM tests fail; the last test shows both. gunicorn's workers stop gracefully on a TERM of their own,
 * and uWSGI's workers on a HUP of their own, so those three cases hold either way.
 */
class PreforkServersIT {
    private static final Path APP_DIR = Path.of("src/test/python").toAbsolutePath();
    /** Longer than a restart takes here, so a slow request is in a worker of the old generation at its TERM. */
    private static final Duration SLOW = Duration.ofMillis(2000);
    /** For anything that waits on a server starting: generous, the machine has 2 busy cores. */
    private static final Duration START = Duration.ofSeconds(60);
    /** What prefork_app.py writes to stderr (which is dewy's) when a worker starts a slow request. */
    private static final String SLEEPING = "prefork_app: sleeping";
    private static final int WORKERS = 3;

    enum Server {
        /**
         * gunicorn takes dewy's socket by systemd socket activation (LISTEN_FDS=1, LISTEN_PID its own pid, fd 3), so
         * it has no --bind, and sends READY=1 to NOTIFY_SOCKET by itself (before its workers boot: connections
         * wait in the backlog meanwhile). TERM is its graceful stop, HUP its graceful reload. --graceful-timeout
         * (10 s) ends its own drain before dewy's grace period (15 s) would SIGKILL it.
         */
        GUNICORN(Signals.SIGHUP, List.of("/usr/bin/python3", "-m", "gunicorn", "--workers", Integer.toString(WORKERS),
                "--graceful-timeout", "10", "--chdir", APP_DIR.toString(), "prefork_app:application")),
        /**
         * uWSGI serves HTTP on fd 3 ({@code --http-socket fd://3}; it also picks up LISTEN_FDS on its own, which
         * only adds harmless "epoll_ctl(): File exists" lines). Debian's build speaks sd_notify in its core: with
         * NOTIFY_SOCKET set it sends READY=1 once the master is up, so {@code --ready notify} works and no probe
         * is needed. Its own TERM is a "brutal reload", so the documented hook makes TERM its graceful stop, which
         * exits 0. Its http-socket closes the connection after each response without saying so: {@code
         * --add-header "Connection: close"} says so, as gunicorn's sync workers do, so a keep-alive client does not
         * send into a closed connection. HUP is its graceful reload: it lets the workers finish, then re-executes
         * the master in place. Request logging is off (thousands of lines).
         */
        UWSGI(Signals.SIGTERM, List.of("uwsgi", "--plugin", "python3", "--master", "--processes",
                Integer.toString(WORKERS), "--http-socket", "fd://3", "--add-header", "Connection: close", "--chdir",
                APP_DIR.toString(), "--wsgi-file", "prefork_app.py", "--need-app", "--disable-logging",
                "--worker-reload-mercy", "10", "--hook-master-start", "unix_signal:15 gracefully_kill_them_all"));

        /** The signal that kills this server's workers mid-request when they get it themselves. */
        final int fatalToWorkers;
        final List<String> command;

        Server(int fatalToWorkers, List<String> command) {
            this.fatalToWorkers = fatalToWorkers;
            this.command = command;
        }
    }

    @TempDir
    Path tmp;

    private int port;

    private Dewy start(Server server, String... dewyArgs) throws Exception {
        port = StarterIT.freePort();
        List<String> args = new ArrayList<>(List.of("--port", "127.0.0.1:" + port, "--ready", "notify",
                "--ready-timeout", "60s", "--grace-period", "15s"));
        Collections.addAll(args, dewyArgs);
        args.add("--");
        args.addAll(server.command);
        Dewy dewy = Dewy.start(Mode.PID1, tmp, args.toArray(String[]::new));
        try {
            dewy.awaitStarted().awaitLog("msg=\"generation ready\" generation=1 ", 1, START);
            HttpLoad warmUp = load().keepAlive(0).oneShot(WORKERS).maxRequests(100_000).deadline(START).start();
            try {
                awaitEveryWorkerServed(warmUp, dewy.readyPid(1));
            } finally {
                HttpLoad.Result r = warmUp.stop();
                assertEquals(0, r.failed(), r + "\n" + dewy.log());
            }
            return dewy;
        } catch (RuntimeException | AssertionError e) {
            dewy.close();
            throw e;
        }
    }

    private HttpLoad.Builder load() {
        return HttpLoad.to(Target.tcp("127.0.0.1", port)).requestTimeout(Duration.ofSeconds(30));
    }

    /** The nonstop load: fast keep-alive and one-shot requests, and one slow request after another. */
    private HttpLoad.Builder nonstop() {
        return load().keepAlive(1).oneShot(2).longRequests(1, SLOW).maxRequests(2_000_000);
    }

    /**
     * Waits until every worker of {@code master} has answered. READY=1 comes before the workers boot, and gunicorn
     * loses a TERM that reaches a worker between its fork and its signal set-up (the worker runs the master's
     * handler, then serves on until --graceful-timeout and SIGKILL): no signal goes out before this.
     */
    private static void awaitEveryWorkerServed(HttpLoad load, long master) {
        Dewy.await("every worker of " + master + " to answer", START,
                () -> load.snapshot().filter(r -> r.pid() == master).workers().size() >= WORKERS);
    }

    /**
     * Waits until workers have started {@code n} slow requests in all, counted in dewy's log (the first one of such a
     * request: it is in flight for ~2 s from then on). Count before starting a load whose first slow request
     * matters: a worker may have logged it by the time this is called.
     */
    private static void awaitSlowRequestsStarted(Dewy dewy, HttpLoad load, int n) {
        long end = System.nanoTime() + START.toNanos();
        while (dewy.countLog(SLEEPING) < n) {
            if (System.nanoTime() > end) {
                throw new AssertionError("workers started " + dewy.countLog(SLEEPING) + " slow requests, not " + n
                        + ", within " + START + ": " + load.snapshot() + "\n" + dewy.log());
            }
            Dewy.sleep(10);
        }
    }

    /** Waits until a worker starts one more slow request than it had so far: it is in flight for ~2 s from now. */
    private static void awaitNextSlowRequest(Dewy dewy, HttpLoad load) {
        awaitSlowRequestsStarted(dewy, load, dewy.countLog(SLEEPING) + 1);
    }

    /** The workers of a master, as pids of dewy's PID namespace (what the responses' worker= says). */
    private static Set<Long> workers(int masterHostPid) {
        Set<Long> out = new HashSet<>();
        for (int child : Dewy.children(masterHostPid)) {
            String status = Dewy.read(Path.of("/proc", Integer.toString(child), "status"));
            status.lines().filter(l -> l.startsWith("NSpid:")).findFirst().ifPresent(l -> {
                String[] f = l.trim().split("\\s+");
                out.add(Long.parseLong(f[f.length - 1]));
            });
        }
        return out;
    }

    /**
     * No request failed, with one exception that is uWSGI's own. Its graceful stop and reload send each worker a
     * SIGHUP, and a worker that gets it just after accept(), before it marks itself busy, exits at once
     * (gracefully_kill() only lets a worker finish when in_request is set), so the connection it has just accepted
     * is reset, or closed, before any response byte. Perl's start_server, which signals the master alone as dewy
     * does, loses them too: 1 request in 60 restarts under bench/lib/restart.py's load, and dewy 2 in 60. So a
     * uWSGI run may lose at most one fast request per graceful stop, in exactly that way, and never a slow one:
     * with {@code --signal-group} the slow request in flight at each stop is lost, which this still catches.
     */
    private static void assertNoFailureButUwsgisAcceptRace(Server server, HttpLoad.Result result, int stops,
                                                           Dewy dewy) {
        HttpLoad.Result failed = result.filter(r -> r.outcome().failed());
        HttpLoad.Result race = failed.filter(r -> server == Server.UWSGI && r.kind() != Kind.LONG
                && (r.outcome() == Outcome.RESET || r.outcome() == Outcome.EOF)
                && r.detail().endsWith("(new connection)") && !r.detail().contains("response bytes"));
        assertEquals(race.total(), failed.total(), "failed requests: " + result + "\n" + dewy.log());
        assertTrue(race.total() <= stops, "more than one request lost per graceful stop: " + result);
    }

    private static void assertCleanExit(Dewy dewy, int generation) {
        assertTrue(dewy.log().contains("msg=\"generation exited\" generation=" + generation + " pid="
                + dewy.readyPid(generation) + " status=\"exited with 0\""), dewy.log());
    }

    /**
     * 10 USR1 restarts under the nonstop load, each while a slow request is in a worker of the old generation:
     * not one request fails, each generation serves from a new master, and each old master drains and exits 0.
     */
    @ParameterizedTest
    @EnumSource(Server.class)
    void tenRestartsUnderLoadFailNoRequest(Server server) throws Exception {
        try (Dewy dewy = start(server)) {
            List<Long> masters = new ArrayList<>(List.of(dewy.readyPid(1)));
            List<Long> swaps = new ArrayList<>();
            HttpLoad load = nonstop().deadline(Duration.ofSeconds(240)).start();
            HttpLoad.Result result;
            try {
                load.awaitOk(Kind.LONG, 1, START);
                for (int g = 2; g <= 11; g++) {
                    awaitNextSlowRequest(dewy, load);
                    dewy.signal(Signals.SIGUSR1);
                    dewy.awaitLog("msg=restarted generation=" + g + " ", 1, START);
                    swaps.add(System.nanoTime());
                    masters.add(dewy.readyPid(g));
                    awaitEveryWorkerServed(load, masters.get(g - 1));
                    dewy.awaitLog("msg=\"generation exited\" generation=" + (g - 1) + " ", 1, START);
                }
            } finally {
                result = load.stop();
            }
            assertNoFailureButUwsgisAcceptRace(server, result, 10, dewy);
            for (Kind kind : Kind.values()) {
                assertTrue(result.only(kind).ok() > 0, kind + " clients made no request: " + result);
            }
            assertEquals(masters, result.pids(), "every generation served, from its own master, in order");
            assertEquals(11, masters.stream().distinct().count(), masters.toString());
            long spanning = result.only(Kind.LONG).requests.stream()
                    .filter(r -> r.outcome() == Outcome.OK && HttpLoad.spansASwap(r, swaps, masters)).count();
            assertTrue(spanning > 0, "no slow request was in flight across a swap: " + result);
            for (int g = 1; g <= 10; g++) {
                assertCleanExit(dewy, g);
            }
            assertEquals(0, dewy.countLog("restart failed"), dewy.log());
            assertEquals(0, dewy.countLog("within the grace period"), dewy.log());
        }
    }

    /**
     * HUP under the nonstop load, while a slow request is in a worker: the server reloads in place. The master
     * stays (same pid, still dewy's one generation), every worker is replaced, the slow request completes on its
     * old worker, and not one request fails.
     */
    @ParameterizedTest
    @EnumSource(Server.class)
    void hupReplacesTheWorkersUnderLoadFailNoRequest(Server server) throws Exception {
        try (Dewy dewy = start(server)) {
            long master = dewy.readyPid(1);
            int masterHostPid = dewy.app();
            Dewy.await(WORKERS + " workers", START, () -> workers(masterHostPid).size() == WORKERS);
            Set<Long> before = workers(masterHostPid);
            HttpLoad load = nonstop().deadline(Duration.ofSeconds(120)).start();
            HttpLoad.Result result;
            long hup;
            Set<Long> after;
            try {
                load.awaitOk(Kind.LONG, 1, START);
                awaitNextSlowRequest(dewy, load);
                hup = System.nanoTime();
                dewy.signal(Signals.SIGHUP);
                Dewy.await("every worker replaced", START, () -> {
                    Set<Long> now = workers(masterHostPid);
                    return now.size() == WORKERS && Collections.disjoint(now, before);
                });
                after = workers(masterHostPid);
                Dewy.await("a slow request served by a new worker", START, () -> load.snapshot().only(Kind.LONG)
                        .requests.stream().anyMatch(r -> r.outcome() == Outcome.OK && after.contains(r.worker())));
            } finally {
                result = load.stop();
            }
            assertNoFailureButUwsgisAcceptRace(server, result, 1, dewy);
            assertEquals(List.of(master), result.pids(), "one master throughout: " + result);
            assertEquals(masterHostPid, dewy.app(), "the same master process");
            assertTrue(result.only(Kind.LONG).requests.stream().anyMatch(r -> r.startNanos() < hup
                    && r.endNanos() > hup && before.contains(r.worker())), "a slow request in flight at the HUP "
                    + "completed on its old worker: " + result);
            assertTrue(result.workers().stream().anyMatch(after::contains), "new workers served: " + result);
            assertEquals(1, dewy.countLog("msg=started"), dewy.log());
            assertEquals(0, dewy.countLog("msg=\"generation exited\""), dewy.log());
        }
    }

    /**
     * TERM while a slow request is in a worker: the client gets its whole response, the server drains and exits
     * 0, and dewy exits with that 0, before the grace period.
     */
    @ParameterizedTest
    @EnumSource(Server.class)
    void termDrainsTheRequestInFlightAndExitsWithTheServersStatus(Server server) throws Exception {
        try (Dewy dewy = start(server)) {
            long master = dewy.readyPid(1);
            int sleeping = dewy.countLog(SLEEPING) + 1;
            HttpLoad slow = load().keepAlive(0).longRequests(1, SLOW).maxRequests(1).start();
            awaitSlowRequestsStarted(dewy, slow, sleeping);
            long term = System.nanoTime();
            dewy.signal(Signals.SIGTERM);
            int status = dewy.awaitExit(Duration.ofSeconds(30));
            long exited = System.nanoTime();
            HttpLoad.Result result = slow.awaitEnd();
            assertEquals(1, result.ok(), result + "\n" + dewy.log());
            assertEquals(master, result.requests.get(0).pid(), result.toString());
            assertTrue(result.requests.get(0).endNanos() < exited, "answered before dewy exited");
            assertEquals(0, status, dewy.log());
            assertCleanExit(dewy, 1);
            assertTrue(dewy.log().contains("msg=exiting status=0"), dewy.log());
            assertEquals(0, dewy.countLog("within the grace period"), dewy.log());
            assertTrue(exited - term < Duration.ofSeconds(10).toNanos(), "drained long before the grace period: "
                    + (exited - term) / 1_000_000 + " ms\n" + dewy.log());
        }
    }

    /**
     * Why the default is the main process: with {@code --signal-group} the workers get the signal too. gunicorn's
     * workers reset HUP to its default action and die of it; uWSGI's workers die on a TERM of their own before
     * their master can drain them. Either way the request in flight is lost.
     */
    @ParameterizedTest
    @EnumSource(Server.class)
    void withSignalGroupTheWorkersGetTheSignalAndTheRequestInFlightIsLost(Server server) throws Exception {
        try (Dewy dewy = start(server, "--signal-group")) {
            int sleeping = dewy.countLog(SLEEPING) + 1;
            HttpLoad slow = load().keepAlive(0).longRequests(1, SLOW).maxRequests(1).start();
            awaitSlowRequestsStarted(dewy, slow, sleeping);
            dewy.signal(server.fatalToWorkers);
            HttpLoad.Result result = slow.awaitEnd();
            assertEquals(1, result.failed(), "the request in flight is lost: " + result + "\n" + dewy.log());
            if (server == Server.GUNICORN) {
                assertTrue(dewy.log().contains("was terminated due to signal 1"), dewy.log());
            }
        }
    }
}
