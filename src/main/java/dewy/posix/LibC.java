package dewy.posix;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

/**
 * The libc functions dewy calls, bound with jnr-ffi. Only {@link Posix} uses this.
 *
 * <p>Why not jnr-posix: its {@code POSIXFactory} costs about 630 ms at start (measured, see jvm-as-pid1 notes), and
 * its spawn attributes cannot set the signal mask or default dispositions, which a correct init needs.
 */
public interface LibC {
    int getpid();

    int pthread_sigmask(int how, Pointer set, Pointer oldSet);

    int sigwaitinfo(Pointer set, Pointer info);

    int sigtimedwait(Pointer set, Pointer info, Pointer timeout);

    int kill(int pid, int sig);

    int waitpid(int pid, int[] status, int options);

    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    int fcntl(int fd, int cmd, int arg);

    int execve(String path, String[] argv, String[] envp);

    String strerror(int errnum);

    int posix_spawnattr_init(Pointer attr);

    int posix_spawnattr_destroy(Pointer attr);

    int posix_spawnattr_setflags(Pointer attr, short flags);

    int posix_spawnattr_setsigmask(Pointer attr, Pointer set);

    int posix_spawnattr_setsigdefault(Pointer attr, Pointer set);

    int posix_spawnattr_setpgroup(Pointer attr, int pgroup);

    int posix_spawn_file_actions_init(Pointer actions);

    int posix_spawn_file_actions_destroy(Pointer actions);

    int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

    int posix_spawnp(IntByReference pid, String file, Pointer actions, Pointer attr,
                     String[] argv, String[] envp);
}
