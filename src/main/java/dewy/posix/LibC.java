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

    int kill(int pid, int sig);

    int raise(int sig);

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

    /** glibc 2.34 and later; {@link Posix} checks that it exists before calling it. */
    int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newFd);

    int posix_spawn_file_actions_addclose(Pointer actions, int fd);

    /** glibc 2.35 and later: the child makes its process group the foreground of the terminal at {@code fd}. */
    int posix_spawn_file_actions_addtcsetpgrp_np(Pointer actions, int fd);

    // The controlling terminal: which process group is its foreground (tini's tcsetpgrp).
    int isatty(int fd);

    int tcgetpgrp(int fd);

    int tcsetpgrp(int fd, int pgrp);

    int getpgrp();

    // Sockets: dewy's listeners and the sd_notify datagram sockets. Addresses are sockaddr bytes built by Posix.
    int socket(int domain, int type, int protocol);

    int setsockopt(int fd, int level, int name, int[] value, int length);

    int bind(int fd, byte[] address, int length);

    int listen(int fd, int backlog);

    int getsockname(int fd, byte[] address, int[] length);

    long recvmsg(int fd, Pointer message, int flags);

    int chmod(String path, int mode);

    long sendto(int fd, byte[] buffer, long length, int flags, byte[] address, int addressLength);

    int close(int fd);

    int unlink(String path);

    // The loop waits on descriptors: signals arrive through a signalfd, readiness messages through sockets.
    int signalfd(int fd, Pointer mask, int flags);

    long read(int fd, Pointer buffer, long count);

    int ppoll(Pointer fds, long count, Pointer timeout, Pointer sigmask);

    // Other threads (the deploy scheduler) wake the loop through an eventfd.
    int eventfd(int initval, int flags);

    long write(int fd, byte[] buffer, long count);

    int posix_spawnp(IntByReference pid, String file, Pointer actions, Pointer attr,
                     String[] argv, String[] envp);
}
