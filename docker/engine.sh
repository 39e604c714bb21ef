#!/bin/sh
# A local Docker engine that is safe on a machine where only loopback traffic is allowed:
#   docker/engine.sh start   start dockerd unless one already answers on DEWY_DOCKER_DIR's socket
#   docker/engine.sh stop    stop the dockerd that `start` started (by its pid), and clean up after it
#   docker/engine.sh env     print the variables that point docker, Jib and Testcontainers at it (eval them)
# DEWY_DOCKER_DIR (default /tmp/dewy-docker) holds the data root, exec root, socket, pid file and log.
#
# The flags give dockerd no bridge, no iptables rules and no forwarding: containers run with --network host (or
# none). Never create a Docker network here: even with --bridge=none it would put a bridge on 172.17.0.0/16, and
# traffic to any non-loopback address is banned on this machine.
set -eu
dir=${DEWY_DOCKER_DIR:-/tmp/dewy-docker}
sock=$dir/docker.sock
pidfile=$dir/dockerd.pid

answers() {
  DOCKER_HOST=unix://$sock docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1
}

case ${1:-} in
  start)
    if answers; then
      echo "engine: already running on unix://$sock"
      exit 0
    fi
    command -v dockerd >/dev/null || { echo "engine: no dockerd; apt-get install docker.io" >&2; exit 1; }
    mkdir -p "$dir/data" "$dir/exec"
    # setsid: the daemon must not get the signals meant for the shell or the build that started it.
    setsid dockerd --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
      --data-root "$dir/data" --exec-root "$dir/exec" -H "unix://$sock" --pidfile "$pidfile" \
      </dev/null >"$dir/dockerd.log" 2>&1 &
    tries=0
    until answers; do
      tries=$((tries + 1))
      if [ $tries -gt 300 ]; then
        echo "engine: dockerd did not answer within 30 s; see $dir/dockerd.log" >&2
        tail -n 20 "$dir/dockerd.log" >&2
        exit 1
      fi
      sleep 0.1
    done
    echo "engine: started dockerd (pid $(cat "$pidfile")) on unix://$sock"
    ;;
  stop)
    if [ -f "$pidfile" ] && pid=$(cat "$pidfile") && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      tries=0
      while kill -0 "$pid" 2>/dev/null && [ $tries -lt 300 ]; do tries=$((tries + 1)); sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      echo "engine: stopped dockerd (pid $pid)"
    else
      echo "engine: no dockerd started from $dir is running"
    fi
    # dockerd leaves this bind mount behind when it stops.
    if grep -q " $dir/exec/netns/default " /proc/mounts 2>/dev/null; then
      umount "$dir/exec/netns/default"
    fi
    ;;
  env)
    # Testcontainers reads these from the environment only. Without the host override it sees /.dockerenv, looks
    # for a bridge gateway, decides there is no Docker and skips every test.
    echo "export DOCKER_HOST=unix://$sock"
    echo "export TESTCONTAINERS_RYUK_DISABLED=true"
    echo "export TESTCONTAINERS_CHECKS_DISABLE=true"
    echo "export TESTCONTAINERS_HOST_OVERRIDE=localhost"
    ;;
  *)
    sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
