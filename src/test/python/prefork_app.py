"""A WSGI application for the preforking servers' tests and benchmark (gunicorn, uWSGI): standard library only.

  GET /             -> "pid=<master> worker=<worker> gen=<generation>\\n" at once
  GET /sleep?ms=N   -> the same after N ms: a request that outlasts a restart; a worker that starts one first
                       writes "prefork_app: sleeping N ms" to stderr, so a test knows the request is in a worker

pid= is the worker's parent, the server's master: the process dewy started, so one pid per generation. worker= is
the process that served the request, which changes when the master replaces its workers (gunicorn's HUP).
"""
import os
import sys
import time
from urllib.parse import parse_qs

GEN = os.environ.get("SERVER_STARTER_GENERATION", "0")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/sleep":
        ms = int(parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["1000"])[0])
        print(f"prefork_app: sleeping {ms} ms (worker {os.getpid()})", file=sys.stderr, flush=True)
        time.sleep(min(ms, 60_000) / 1000)
    elif path != "/":
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        return [b"not found\n"]
    body = f"pid={os.getppid()} worker={os.getpid()} gen={GEN}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
