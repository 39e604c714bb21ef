#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal, for TerminalIT.

  pty_run.py COMMAND [ARGS...]         the way `docker run -it` starts a container's PID 1
  pty_run.py --job COMMAND [ARGS...]   as an interactive shell runs a foreground job

Without --job the command starts in a session of its own without a controlling terminal, so `setsid --ctty` (or
the command itself) can make the terminal its own. With --job we are the shell: the terminal is our controlling
terminal, the command runs in a process group of its own that is the terminal's foreground, and when it stops we
print "[job stopped]" and take the terminal back; SIGUSR1 to us is `fg`: the terminal goes back to the job, which
gets SIGCONT, and we print "[job continued]".

The command's stdin and stdout are the terminal's slave side; its stderr stays ours. What arrives on our stdin is
typed on the terminal (0x03 is Ctrl-C, 0x1a Ctrl-Z); what the terminal prints goes to our stdout, unbuffered. We
exit with the command's status once it has exited (128+N when signal N ended it).
"""
import fcntl
import os
import select
import signal
import sys
import termios

job = sys.argv[1] == "--job"
command = sys.argv[2:] if job else sys.argv[1:]
master, slave = os.openpty()
if job:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a shell's tcsetpgrp from the background
pid = os.fork()
if pid == 0:
    if job:
        os.setpgid(0, 0)
        os.tcsetpgrp(slave, os.getpid())
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
    else:
        os.setsid()
    os.dup2(slave, 0)
    os.dup2(slave, 1)
    os.close(slave)
    os.close(master)
    os.execvp(command[0], command)
if job:
    os.setpgid(pid, pid)
    os.tcsetpgrp(slave, pid)
wanted_fg = []
signal.signal(signal.SIGUSR1, lambda signo, frame: wanted_fg.append(1))
if not job:
    os.close(slave)


def show(text):
    os.write(1, text)


keyboard = sys.stdin.fileno()
screen = master
status = None
while status is None:
    if wanted_fg:
        wanted_fg.clear()
        os.tcsetpgrp(slave, pid)
        os.killpg(pid, signal.SIGCONT)
        show(b"[job continued]\n")
    watched = [fd for fd in (screen, keyboard) if fd >= 0]
    try:
        readable, _, _ = select.select(watched, [], [], 0.1)
    except InterruptedError:
        continue
    if keyboard in readable:
        typed = os.read(keyboard, 4096)
        if typed:
            os.write(master, typed)
        else:
            keyboard = -1  # the test closed our stdin: nothing more to type
    if screen in readable:
        try:
            show(os.read(master, 4096))
        except OSError:  # EIO: no process holds the slave side any more
            screen = -1
    done, how = os.waitpid(pid, os.WNOHANG | (os.WUNTRACED if job else 0))
    if done == pid and os.WIFSTOPPED(how):
        os.tcsetpgrp(slave, os.getpgrp())
        show(b"[job stopped]\n")
    elif done == pid:
        status = os.waitstatus_to_exitcode(how)
sys.exit(status if status >= 0 else 128 - status)
