package dewy.supervisor;

import dewy.posix.Posix;
import dewy.posix.SpawnException;
import dewy.starter.Starter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** A process table in memory: tests decide who exits when, and read back every signal the supervisor sent. */
final class FakeProcesses implements Processes {
    /** One call the supervisor made; {@code target} is a pid, "-PGID" for a group, "descendants", or "self". */
    record Sent(String target, int signal) {
    }

    final List<Sent> sent = new ArrayList<>();
    final List<Integer> spawned = new ArrayList<>();
    /** Children of dewy that have not been reaped, living or zombie. */
    final Set<Integer> children = new LinkedHashSet<>();
    /** Process groups with members left; a spawned pid's group exists until the test says otherwise. */
    final Set<Integer> groups = new LinkedHashSet<>();
    private final List<Posix.Exit> exited = new ArrayList<>();
    SpawnException spawnFailure;
    /** Thrown by the next spawn() only (EMFILE for a moment, say); then spawns work again. */
    SpawnException nextSpawnFailure;
    /** Thrown by the next openNotify() only (the socket's directory removed by a tmp cleaner, say). */
    java.io.IOException nextNotifyFailure;
    /** Thrown by the next reap(), as a bug or an exhausted JVM would. */
    Error nextReapFailure;
    int spawnAttempts;
    SpawnException notRunnable;
    int stopSelfCalls;
    private int nextPid = 100;

    /** Every generation's launch, in order (argv, environment, descriptors). */
    final List<Starter.Launch> launches = new ArrayList<>();
    /** Readiness checks started: pid to command. */
    final Map<Integer, String> checks = new LinkedHashMap<>();
    final Map<Integer, List<String>> checkEnv = new HashMap<>();
    /** Open NOTIFY_SOCKETs by descriptor, with the datagrams the test queued on them. */
    final Map<Integer, NotifyChannel> notifyOpen = new LinkedHashMap<>();
    final Map<Integer, List<String>> notifyQueued = new HashMap<>();
    private int nextFd = 50;

    /** What current names at each spawn (the release a generation runs), when a test tracks releases. */
    java.util.function.Supplier<String> release = () -> null;
    final Map<Integer, String> releaseOf = new HashMap<>();

    @Override
    public int spawn(Starter.Launch launch) throws SpawnException {
        spawnAttempts++;
        if (spawnFailure != null) {
            throw spawnFailure;
        }
        if (nextSpawnFailure != null) {
            SpawnException e = nextSpawnFailure;
            nextSpawnFailure = null;
            throw e;
        }
        int pid = nextPid++;
        spawned.add(pid);
        releaseOf.put(pid, release.get());
        launches.add(launch);
        children.add(pid);
        groups.add(pid);
        return pid;
    }

    @Override
    public int spawnCheck(String command, List<String> env) {
        int pid = nextPid++;
        checks.put(pid, command);
        checkEnv.put(pid, List.copyOf(env));
        children.add(pid);
        groups.add(pid);
        return pid;
    }

    /** Generations whose listeners the supervisor asked to inspect. */
    final List<Integer> inspected = new ArrayList<>();

    @Override
    public void inspectListeners(int generation, int pid) {
        inspected.add(generation);
    }

    @Override
    public NotifyChannel openNotify(int generation) throws java.io.IOException {
        if (nextNotifyFailure != null) {
            java.io.IOException e = nextNotifyFailure;
            nextNotifyFailure = null;
            throw e;
        }
        NotifyChannel c = new NotifyChannel(nextFd++, "/tmp/fake/notify-" + generation + ".sock");
        notifyOpen.put(c.fd(), c);
        return c;
    }

    /** The application of this generation sends a datagram; returns the descriptor the loop would see readable. */
    int send(int generation, String datagram) {
        for (NotifyChannel c : notifyOpen.values()) {
            if (c.path().endsWith("/notify-" + generation + ".sock")) {
                notifyQueued.computeIfAbsent(c.fd(), k -> new ArrayList<>()).add(datagram);
                return c.fd();
            }
        }
        throw new AssertionError("generation " + generation + " has no open NOTIFY_SOCKET");
    }

    @Override
    public List<String> readNotify(NotifyChannel channel, int mainPid) {
        List<String> out = notifyQueued.getOrDefault(channel.fd(), List.of());
        notifyQueued.remove(channel.fd());
        return out;
    }

    @Override
    public void closeNotify(NotifyChannel channel) {
        notifyOpen.remove(channel.fd());
    }

    @Override
    public Optional<SpawnException> checkRunnable(String command) {
        return Optional.ofNullable(notRunnable);
    }

    /** The test's way to make a child exit: it is reaped at the supervisor's next turn. */
    void exit(int pid, int status) {
        exited.add(new Posix.Exit(pid, status));
    }

    /** An orphan re-parented to dewy. */
    int adoptOrphan() {
        int pid = nextPid++;
        children.add(pid);
        return pid;
    }

    @Override
    public Posix.Reaped reap() {
        if (nextReapFailure != null) {
            Error e = nextReapFailure;
            nextReapFailure = null;
            throw e;
        }
        List<Posix.Exit> out = new ArrayList<>(exited);
        exited.clear();
        out.forEach(e -> children.remove(e.pid()));
        return new Posix.Reaped(out, !children.isEmpty());
    }

    @Override
    public boolean signalProcess(int pid, int signal) {
        sent.add(new Sent(Integer.toString(pid), signal));
        return children.contains(pid);
    }

    /** Recorded as "-PGID", as kill(2) spells a process group. */
    @Override
    public boolean signalGroup(int pgid, int signal) {
        sent.add(new Sent("-" + pgid, signal));
        return children.contains(pgid) || groups.contains(pgid);
    }

    @Override
    public boolean groupExists(int pgid) {
        return groups.contains(pgid);
    }

    @Override
    public void signalDescendants(int signal) {
        sent.add(new Sent("descendants", signal));
    }

    @Override
    public void stopSelf() {
        stopSelfCalls++;
    }

    /** Ports handed out by freeLoopbackPort(), in order. */
    final List<Integer> ports = new ArrayList<>();
    /** Health checks running: generation to "PORT PATH". */
    final Map<Integer, String> healthChecks = new LinkedHashMap<>();
    private int nextPort = 20_000;

    @Override
    public int freeLoopbackPort() {
        ports.add(nextPort);
        return nextPort++;
    }

    @Override
    public void checkHealth(int generation, int port, String path) {
        healthChecks.put(generation, port + " " + path);
    }

    @Override
    public void stopHealthCheck(int generation) {
        healthChecks.remove(generation);
    }

    List<Sent> sentTo(String target) {
        return sent.stream().filter(s -> s.target().equals(target)).toList();
    }
}
