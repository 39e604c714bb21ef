/*
 * The application the process tests run under dewy. One mode per behaviour; every mode that waits writes
 * "ready" to its file first, so tests never race the start-up.
 *
 *   exit N                      exit with N
 *   raise SIG                   die by SIG (default disposition)
 *   pause FILE                  default dispositions, sleep forever
 *   record FILE [CODE [MS]]     take every catchable signal with sigwaitinfo, append "sig N" per signal;
 *                               on SIGTERM wait MS milliseconds, then exit with CODE
 *   ignore-term FILE            ignore SIGTERM, sleep forever
 *   orphans N FILE              make N orphans (double fork), write "done", sleep forever
 *   report FILE                 write signal masks, fds, process group, cwd and env, then sleep forever
 *   slow-grandchild FILE CODE [setsid]
 *                               fork a grandchild that needs 1 s after SIGTERM (then appends "grandchild done"),
 *                               then exit with CODE; with "setsid" the grandchild leaves the process group
 *   generation FILE [READY_MS|never]
 *                               one generation under dewy's --port: write "G pid P", "G env NAME=value" for the
 *                               socket-passing variables and "G fd N KIND" per descriptor (G is
 *                               SERVER_STARTER_GENERATION); after READY_MS (default 0) send READY=1 to NOTIFY_SOCKET
 *                               (unless "never") and write "G ready"; then "G sig N" per signal; TERM exits 0
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *out_path;

static void append(const char *line) {
    int fd = open(out_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) { perror(out_path); exit(90); }
    size_t n = strlen(line);
    if (write(fd, line, n) != (ssize_t) n || write(fd, "\n", 1) != 1) { perror("write"); exit(91); }
    close(fd);
}

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void forever(void) {
    for (;;) pause();
}

static void on_term_slow(int sig) {
    (void) sig;
    sleep_ms(1000);
    append("grandchild done");
    _exit(0);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: testapp MODE ...\n"); return 64; }
    const char *mode = argv[1];

    if (!strcmp(mode, "exit")) return atoi(argv[2]);

    if (!strcmp(mode, "raise")) {
        signal(atoi(argv[2]), SIG_DFL);
        raise(atoi(argv[2]));
        sleep_ms(5000);
        return 99;
    }

    out_path = argv[2];

    if (!strcmp(mode, "pause")) { append("ready"); forever(); }

    if (!strcmp(mode, "record")) {
        int code = argc > 3 ? atoi(argv[3]) : 0;
        long delay = argc > 4 ? atol(argv[4]) : 0;
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        append("ready");
        for (;;) {
            siginfo_t info;
            int sig = sigwaitinfo(&all, &info);
            if (sig < 0) continue;
            char line[64];
            snprintf(line, sizeof line, "sig %d", sig);
            append(line);
            if (sig == SIGTERM) {
                sleep_ms(delay);
                return code;
            }
        }
    }

    if (!strcmp(mode, "generation")) {
        const char *gen = getenv("SERVER_STARTER_GENERATION");
        char line[4096];
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        snprintf(line, sizeof line, "%s pid %d", gen ? gen : "?", getpid());
        append(line);
        const char *names[] = {"SERVER_STARTER_PORT", "SERVER_STARTER_GENERATION", "LISTEN_FDS", "LISTEN_FDNAMES",
                               "LISTEN_PID", "NOTIFY_SOCKET", "WATCHDOG_USEC", NULL};
        for (int i = 0; names[i]; i++) {
            const char *v = getenv(names[i]);
            snprintf(line, sizeof line, "%s env %s=%s", gen ? gen : "?", names[i], v ? v : "(unset)");
            append(line);
        }
        DIR *d = opendir("/proc/self/fd");
        int self_fd = dirfd(d);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || atoi(e->d_name) == self_fd) continue;
            char link[300], target[512];
            snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
            ssize_t n = readlink(link, target, sizeof target - 1);
            target[n > 0 ? n : 0] = 0;
            int listening = 0;
            socklen_t len = sizeof listening;
            int is_socket = !strncmp(target, "socket:", 7);
            if (is_socket) getsockopt(atoi(e->d_name), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
            snprintf(line, sizeof line, "%s fd %s %s", gen ? gen : "?", e->d_name,
                     is_socket ? (listening ? "listening-socket" : "socket") : "other");
            append(line);
        }
        closedir(d);
        int never = argc > 3 && !strcmp(argv[3], "never");
        if (!never) {
            sleep_ms(argc > 3 ? atol(argv[3]) : 0);
            const char *ns = getenv("NOTIFY_SOCKET");
            if (ns) {
                struct sockaddr_un addr = { .sun_family = AF_UNIX };
                strncpy(addr.sun_path, ns, sizeof addr.sun_path - 1);
                int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                const char *msg = "READY=1\nSTATUS=testapp serving";
                if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *) &addr, sizeof addr) < 0) {
                    perror("sendto NOTIFY_SOCKET");
                    return 92;
                }
                close(fd);
            }
            snprintf(line, sizeof line, "%s ready", gen ? gen : "?");
            append(line);
            /* the relayed watchdog: DEWY_TEST_WATCHDOG_PINGS pings at a quarter of WATCHDOG_USEC, then a hang */
            const char *pings = getenv("DEWY_TEST_WATCHDOG_PINGS"), *usec = getenv("WATCHDOG_USEC");
            if (ns && pings && usec) {
                struct sockaddr_un addr = { .sun_family = AF_UNIX };
                strncpy(addr.sun_path, ns, sizeof addr.sun_path - 1);
                int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                for (int i = 0; i < atoi(pings); i++) {
                    sendto(fd, "WATCHDOG=1", 10, 0, (struct sockaddr *) &addr, sizeof addr);
                    sleep_ms(atol(usec) / 4000);
                }
                close(fd);
                snprintf(line, sizeof line, "%s hangs", gen ? gen : "?");
                append(line);
            }
        }
        for (;;) {
            siginfo_t info;
            int sig = sigwaitinfo(&all, &info);
            if (sig < 0) continue;
            snprintf(line, sizeof line, "%s sig %d", gen ? gen : "?", sig);
            append(line);
            if (sig == SIGTERM) return 0;
        }
    }

    if (!strcmp(mode, "ignore-term")) {
        signal(SIGTERM, SIG_IGN);
        append("ready");
        forever();
    }

    if (!strcmp(mode, "orphans")) {
        int n = atoi(argv[2]);
        out_path = argv[3];
        for (int i = 0; i < n; i++) {
            pid_t mid = fork();
            if (mid < 0) { perror("fork"); return 92; }
            if (mid == 0) {
                pid_t leaf = fork();
                if (leaf == 0) _exit(0); /* the orphan: its parent is gone before anyone can wait for it */
                _exit(0);
            }
            waitpid(mid, NULL, 0);
        }
        append("done");
        forever();
    }

    if (!strcmp(mode, "report")) {
        char line[4096];
        FILE *st = fopen("/proc/self/status", "r");
        while (st && fgets(line, sizeof line, st)) {
            if (!strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7) || !strncmp(line, "SigCgt:", 7)) {
                line[strcspn(line, "\n")] = 0;
                append(line);
            }
        }
        if (st) fclose(st);
        DIR *d = opendir("/proc/self/fd");
        int self_fd = dirfd(d);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || atoi(e->d_name) == self_fd) continue;
            snprintf(line, sizeof line, "fd %s", e->d_name);
            append(line);
        }
        closedir(d);
        snprintf(line, sizeof line, "pgid-is-pid %d", getpgrp() == getpid());
        append(line);
        char cwd[2048];
        snprintf(line, sizeof line, "cwd %s", getcwd(cwd, sizeof cwd) ? cwd : "?");
        append(line);
        const char *probe = getenv("DEWY_TEST_PROBE");
        snprintf(line, sizeof line, "env DEWY_TEST_PROBE=%s", probe ? probe : "(unset)");
        append(line);
        snprintf(line, sizeof line, "env _JAVA_SR_SIGNUM=%s", getenv("_JAVA_SR_SIGNUM") ? "set" : "(unset)");
        append(line);
        append("ready");
        forever();
    }

    if (!strcmp(mode, "slow-grandchild")) {
        int code = atoi(argv[3]);
        int own_session = argc > 4 && !strcmp(argv[4], "setsid");
        int ready[2];
        if (pipe(ready) != 0) return 93;
        pid_t g = fork();
        if (g == 0) {
            if (own_session) setsid();
            signal(SIGTERM, on_term_slow);
            close(ready[0]);
            if (write(ready[1], "x", 1) != 1) _exit(94);
            close(ready[1]);
            forever();
        }
        close(ready[1]);
        char c;
        if (read(ready[0], &c, 1) != 1) return 95;
        append("ready");
        if (own_session) forever(); /* stays until dewy's drain stops it */
        return code;
    }

    fprintf(stderr, "testapp: unknown mode %s\n", mode);
    return 64;
}
