#!/usr/bin/python3
"""A small fake of the GitHub Releases API for the deploy benchmark, on 127.0.0.1 only (python3 standard library).

It serves the releases of a file:// registry directory (ROOT/<tag>/<asset>, entries starting with "." hidden) as
  GET /repos/OWNER/REPO/releases?per_page=100   JSON, newest first: tag_name, draft, prerelease, assets[name, size,
                                                url]
  GET /repos/OWNER/REPO/releases/assets/TAG/NAME   302 to /download/TAG/NAME, as GitHub redirects to its storage host
  GET /download/TAG/NAME                          the file, streamed in 1 MiB chunks with a Content-Length
Every request reads the directory afresh, so publishing works as with file:// (copy to ROOT/.TAG, rename to TAG).
Prints "port N" on stdout once it listens; runs until SIGTERM.
"""
import argparse
import json
import os
import signal
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def releases(root, base, owner, repo):
    out = []
    for tag in sorted((t for t in os.listdir(root) if not t.startswith(".")), reverse=True):
        d = os.path.join(root, tag)
        if not os.path.isdir(d):
            continue
        assets = []
        for name in sorted(n for n in os.listdir(d) if not n.startswith(".")):
            p = os.path.join(d, name)
            if os.path.isfile(p):
                assets.append({"name": name, "size": os.path.getsize(p),
                               "url": f"{base}/repos/{owner}/{repo}/releases/assets/{tag}/{name}"})
        out.append({"tag_name": tag, "name": tag, "draft": False, "prerelease": False, "assets": assets})
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = owner = repo = None

    def log_message(self, fmt, *args):  # quiet: dewy's own log says what it fetched
        pass

    def send(self, status, body=b"", ctype="application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
        prefix = ["repos", self.owner, self.repo, "releases"]
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if parts == prefix:
            return self.send(200, json.dumps(releases(self.root, base, self.owner, self.repo)).encode())
        if len(parts) == 7 and parts[:5] == prefix + ["assets"]:
            tag, name = parts[5], parts[6]
            return self.send(302, extra={"Location": f"{base}/download/{urllib.parse.quote(tag)}/"
                                                     f"{urllib.parse.quote(name)}"})
        if len(parts) == 3 and parts[0] == "download" and not parts[1].startswith(".") and "/" not in parts[2]:
            p = os.path.join(self.root, parts[1], parts[2])
            if os.path.isfile(p):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(os.path.getsize(p)))
                self.end_headers()
                with open(p, "rb") as f:
                    while True:
                        chunk = f.read(1 << 20)
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                return None
        return self.send(404, b'{"message":"Not Found"}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--repo", default="o/r")
    a = ap.parse_args()
    Handler.root = a.root
    Handler.owner, Handler.repo = a.repo.split("/")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"port {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
