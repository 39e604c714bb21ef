#!/usr/bin/python3
"""A real SMTP server for dewy's mail tests: Debian's aiosmtpd on 127.0.0.1, each message written to a directory.

  smtp_sink.py --dir DIR [--port 0] [--cert C --key K [--implicit]] [--auth USER:PASS] [--max-seconds 300]

Prints "READY <port>" once it listens. With --cert it offers STARTTLS (or, with --implicit, speaks TLS from the
first byte). With --auth it offers AUTH (also before STARTTLS: the tls=false test sends it plain) and refuses mail
from a client that did not log in. Each message becomes DIR/NNNNNN.json (written hidden, then renamed):
{"mail_from", "rcpt_tos", "data", "starttls" (the client sent STARTTLS on that connection), "tls" (none, starttls
or implicit), "login" (the AUTH user, or null), "ehlo"}. Ends when its stdin closes or after --max-seconds.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--implicit", action="store_true")
    ap.add_argument("--auth")
    ap.add_argument("--max-seconds", type=float, default=300)
    a = ap.parse_args()

    ctx = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
    count = [0]

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            count[0] += 1
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
                "starttls": server.saw_starttls,
                "tls": "implicit" if a.implicit else ("starttls" if server._tls_protocol else "none"),
                "login": session.auth_data.login.decode() if session.authenticated else None,
                "ehlo": session.host_name,
            }
            path = os.path.join(a.dir, "%06d.json" % count[0])
            with open(os.path.join(a.dir, ".tmp"), "w") as f:
                json.dump(record, f)
            os.rename(os.path.join(a.dir, ".tmp"), path)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = a.auth.split(":", 1)
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    class Sink(SMTP):
        saw_starttls = False

        async def smtp_STARTTLS(self, arg):
            self.saw_starttls = True
            await super().smtp_STARTTLS(arg)

    kw = {"hostname": "sink.test", "tls_context": None if a.implicit else ctx, "timeout": 30}
    if a.auth:
        kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: Sink(Handler(), loop=loop, **kw), "127.0.0.1", a.port, ssl=ctx if a.implicit else None))
    print("READY %d" % server.sockets[0].getsockname()[1], flush=True)

    def stdin_closed():
        if not sys.stdin.buffer.read1(4096):
            loop.stop()

    loop.add_reader(sys.stdin.fileno(), stdin_closed)
    loop.call_later(a.max_seconds, loop.stop)
    loop.run_forever()


if __name__ == "__main__":
    main()
