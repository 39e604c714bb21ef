/*
 * The in-container benchmark's child (lib/container.py). Its first act is to print CLOCK_REALTIME in ns, as
 * `date +%s%N` does on the host (busybox's date has no %N). With "wait" it then sleeps, every signal at its default
 * disposition, until one ends it. Linked statically so it runs in any image.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    printf("%lld%09ld\n", (long long) ts.tv_sec, ts.tv_nsec);
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "wait")) {
        for (;;) pause();
    }
    return 0;
}
