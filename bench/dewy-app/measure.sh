#!/usr/bin/env bash
# dewy-app's transport options measured: for each, the jars it adds, the classes a JVM loads to send one READY=1,
# the time from JVM start to the datagram sent, and VmRSS then; 10 runs each, medians. Writes results.md here.
#   bench/dewy-app/measure.sh         (needs dewy-app installed: mvn -f clients/pom.xml install; and jnr-unixsocket
#                                      0.38.23 in the local repository: mvn dependency:get -Dartifact=...)
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
m2=${M2:-$HOME/.m2/repository}
J17=${J17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
J25=${J25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
jnr="$m2/com/github/jnr/jnr-ffi/2.2.19/jnr-ffi-2.2.19.jar:$m2/com/github/jnr/jffi/1.3.15/jffi-1.3.15.jar:$m2/com/github/jnr/jffi/1.3.15/jffi-1.3.15-native.jar"
for a in asm asm-commons asm-analysis asm-tree asm-util; do jnr="$jnr:$(ls "$m2"/org/ow2/asm/$a/9.7.1/$a-9.7.1.jar)"; done
jnr="$jnr:$m2/com/github/jnr/jnr-a64asm/1.0.0/jnr-a64asm-1.0.0.jar:$m2/com/github/jnr/jnr-x86asm/1.0.2/jnr-x86asm-1.0.2.jar"
app="$m2/dev/dewy/dewy-app/0.1.0/dewy-app-0.1.0.jar"
uds=$jnr
for d in jnr-unixsocket/0.38.23 jnr-enxio/0.32.18 jnr-posix/3.1.20 jnr-constants/0.10.4; do
  uds="$uds:$(ls "$m2"/com/github/jnr/${d%/*}/${d#*/}/*.jar | grep -v sources | head -n1)"
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$J17" -version 2>&1 | head -n1 >"$work/j17"
javac -d "$work" -cp "$app:$uds" "$here/Send.java"
size() { local t=0; IFS=:; for j in $1; do t=$((t + $(stat -c %s "$j"))); done; unset IFS; echo "$((t / 1024)) KiB"; }
recv='import socket,sys,os
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(30)
assert s.recv(64)==b"READY=1"'
run() { # JAVA CP ARG -> "uptime_ms rss_kb classes" medians over 10
  local java=$1 cp=$2 arg=$3 ups=() rss=() cls=()
  for i in $(seq 1 10); do
    sock=$work/n$i.sock; rm -f "$sock"
    if [ "$arg" = none ]; then python3 -c 'import time' & r=$!; else python3 -c "$recv" "$sock" & r=$!; sleep 0.2; fi
    out=$(NOTIFY_SOCKET=$sock "$java" -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED -Xlog:class+load=info:file=$work/cl.log \
      -cp "$work:$cp" Send "$arg" 2>"$work/err") || { kill $r; cat "$work/err" >&2; exit 1; }
    wait $r
    ups+=("${out% *}"); rss+=("${out#* }"); cls+=("$(wc -l <"$work/cl.log")")
  done
  med() { printf '%s\n' "$@" | sort -n | sed -n 5p; }
  echo "$(med "${ups[@]}") ms | $(( $(med "${rss[@]}") / 1024 )) MiB | $(med "${cls[@]}")"
}
{
  echo "# dewy-app: how a JVM sends sd_notify"
  echo
  echo "$(date -u '+%Y-%m-%d'), $(nproc) vCPU, $(head -n1 "$work/j17"), $("$J25" -version 2>&1 | head -n1); 10 fresh JVMs each"
  echo "(-XX:+UseSerialGC), medians: JVM start to READY=1 sent (RuntimeMXBean uptime), VmRSS then, classes loaded in all."
  echo
  echo "| transport | JDK | jars added | start to READY=1 sent | VmRSS | classes loaded |"
  echo "|---|---|---:|---:|---:|---:|"
  echo "| nothing sent (the JVM and this program alone) | 17 | | $(run "$J17" "$app" none) |"
  echo "| nothing sent | 25 | | $(run "$J25" "$app" none) |"
  echo "| dewy-app, jnr-ffi (reflection binding) | 17 | $(size "$app:$jnr") | $(run "$J17" "$app:$jnr" dewy-app) |"
  echo "| jnr-unixsocket \`UnixDatagramChannel\` | 17 | $(size "$uds") | $(run "$J17" "$uds" uds) |"
  echo "| dewy-app, java.lang.foreign (multi-release class) | 25 | $(size "$app") | $(run "$J25" "$app" dewy-app) |"
} >"$here/results.md"
cat "$here/results.md"
