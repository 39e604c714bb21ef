#!/usr/bin/python3
"""Signal-latency child: blocks SIGUSR2, then per SIGUSR2 writes CLOCK_MONOTONIC ns to the FIFO given as argv[1]."""
import os
import signal
import sys
import time

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
signal.alarm(int(sys.argv[2]) if len(sys.argv) > 2 else 300)  # safety bound: SIGALRM ends the child
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, f"ready {os.getpid()}\n".encode())
while True:
    signal.sigwaitinfo({signal.SIGUSR2})
    t = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    os.write(fd, f"{t}\n".encode())
