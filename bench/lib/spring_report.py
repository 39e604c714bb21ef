#!/usr/bin/python3
"""Markdown for bench/spring-boot.sh: the Spring Boot example's restarts, dewy against stop-then-start."""
import json
import os
import sys

raw = sys.argv[1]
facts = dict(line.split(": ", 1) for line in open(os.path.join(raw, "facts.txt")).read().splitlines() if ": " in line)
r = json.load(open(os.path.join(raw, "restart.json")))


def ms(x, key="median"):
    return f"{x[key]:,.0f} ms" if x and x.get(key) is not None else "n/a"


print("# Spring Boot example: restarts under load\n")
print(f"{r['restarts']} restarts of `docker/examples/spring-boot` (Spring Boot 3.5, Tomcat, dewy's starter only) under "
      f"{r['load']}, {r['interval_s']:.0f} s of load before and between restarts. `dewy`: PID 1 with "
      "`--port 127.0.0.1:P=0 --ready notify --success-exit-status 143`, restarted by `kill -USR1`; `stop-then-start`: "
      "the same jar binding `--server.port` itself, restarted by TERM, wait, spawn, until its READY=1.\n")
print(", ".join(f"{k} {v}" for k, v in facts.items()) + "\n")
print("| variant | requests | failed | p99 during restarts | p99 overall | signal to new version ready (median, p90) "
      "| signal to its first response (median) | signal to old one gone |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
names = {"dewy": "dewy", "dewy_idle": "dewy, no load", "baseline": "stop-then-start"}
for name, v in r["variants"].items():
    if "restarts" not in v:
        print(f"| {names.get(name, name)} | error: {v.get('error')} | | | | | | |")
        continue
    x = v["restarts"]
    if not x.get("requests"):  # no load: only the restart's own times
        print(f"| {names.get(name, name)} | | | | | {ms(x['to_new_ready_ms'])} ({ms(x['to_new_ready_ms'], 'p90')}) "
              f"| | {ms(x['to_old_gone_ms'])} |")
        continue
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(x["outcomes"].items()) if k != "ok")
    print(f"| {names.get(name, name)} | {x['requests']:,} | **{x['failed']}**{' (' + outcomes + ')' if outcomes else ''} "
          f"| {ms(x['latency_during_restarts_ms'], 'p99')} | {ms(x['latency_ms'], 'p99')} "
          f"| {ms(x['to_new_ready_ms'])} ({ms(x['to_new_ready_ms'], 'p90')}) | {ms(x['to_new_serving_ms'])} "
          f"| {ms(x['to_old_gone_ms'])} |")
print("\n`dewy, no load` is the same restarts with no client: how long the new JVM takes to get ready when it does "
      "not share the 2 cores with an old generation serving the load and the load generator.\n")
print("Under dewy the new version serves once it is ready (READY=1 on ACCEPTING_TRAFFIC), while the old one still "
      "serves; under stop-then-start nothing listens from the old JVM's exit until the new one has bound the port.")
