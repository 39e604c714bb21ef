#!/bin/sh
# from_starter.sh COMMAND ARGS...: execs COMMAND with every "{fd}" in ARGS replaced by the descriptor that Perl's
# start_server passes in SERVER_STARTER_PORT (one socket: "127.0.0.1:8080=3"). gunicorn and uWSGI cannot read that
# variable, but take a descriptor: gunicorn --bind fd://{fd}, uwsgi --http-socket fd://{fd}. The exec keeps the pid,
# so the server's master is start_server's child and gets its signals.
fd=${SERVER_STARTER_PORT##*=}
case $fd in
  ''|*[!0-9]*) echo "from_starter.sh: no descriptor in SERVER_STARTER_PORT='${SERVER_STARTER_PORT:-}'" >&2; exit 2 ;;
esac
n=$#
while [ "$n" -gt 0 ]; do
  a=$1
  shift
  case $a in
    *'{fd}'*) a="${a%%\{fd\}*}$fd${a#*\{fd\}}" ;;
  esac
  set -- "$@" "$a"
  n=$((n - 1))
done
exec "$@"
