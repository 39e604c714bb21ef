#!/usr/bin/env bash
# What the mail notifier costs: `dewy server -- date` start-up to child exec and whole run, medians, round-robin in
# one run: dewy without the mail library (BASE_HOME, optional: a target/ built from a commit before it), this dewy
# without a notifier, and with --notifier smtp:// to a local aiosmtpd sink; and the jar bytes the library adds.
# Needs target/ built, /usr/bin/python3 with Debian's python3-aiosmtpd. Writes bench/results/mail.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DEWY_HOME=${DEWY_HOME:-$here/../target}
unset JAVA DEWY_JAVA_OPTS JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS
mkdir -p "$here/results/raw-mail"
base=()
[ -n "${BASE_HOME:-}" ] && base=(--base-home "$BASE_HOME")
{
  echo "# What the mail notifier costs"
  echo
  echo "commit $(git -C "$here/.." rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg) at the start; ${RUNS:-21} rounds after 2 warm-up rounds, the variants" \
    "round-robin (bench/lib/mail_cost.py)."
  echo
  timeout 330 /usr/bin/python3 "$here/lib/mail_cost.py" --dewy-home "$DEWY_HOME" "${base[@]}" \
    --runs "${RUNS:-21}" --out "$here/results/raw-mail/mail.json"
  echo
  echo "load $(cut -d' ' -f1-3 /proc/loadavg) at the end."
} | tee "$here/results/mail.md"
