"""An SMTP server for tests (aiosmtpd): stores every mail it accepts and prints its port.

Usage: smtp_sink.py OUT_DIR [--user U --password P]

Listens on 127.0.0.1, a free port, and prints that port on the first line of stdout once
it accepts connections. Each accepted mail becomes OUT_DIR/NNNNN.eml (the raw RFC 5322
bytes as received) and OUT_DIR/NNNNN.json ({"from": ..., "to": [...]}, the envelope),
the .json written last (by rename) so a reader that sees it sees the whole mail. With
--user and --password, AUTH (PLAIN, LOGIN) is offered without TLS and required.
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out_dir, f"{self.count:05d}")
        with open(base + ".eml", "wb") as mail:
            mail.write(envelope.original_content or envelope.content)
        with open(base + ".json.tmp", "w", encoding="utf-8") as meta:
            json.dump({"from": envelope.mail_from, "to": list(envelope.rcpt_tos)}, meta)
        os.replace(base + ".json.tmp", base + ".json")
        return "250 OK stored"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # handled=False: aiosmtpd then answers 535 itself (True would leave the client waiting).
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return check


async def main():
    # aiosmtpd warns that AUTH without TLS is unsafe: intended here, and noise in test output.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    handler = Sink(args.out_dir)
    auth = {}
    if args.user is not None:
        auth = dict(
            authenticator=authenticator(args.user, args.password or ""),
            auth_required=True,
            auth_require_tls=False,
        )
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", **auth), host="127.0.0.1", port=0
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
