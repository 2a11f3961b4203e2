#!/usr/bin/env python3
"""SMTP servers for SMTPTests, each writing every message it accepts as a JSON line to --out and
printing its port on the first line of stdout.

--stdlib: Python's own smtpd.SMTPServer (the standard library's, written by nobody here), plain
text, no STARTTLS, no AUTH.
--tls CERT KEY --user U --password P: a submission server built on Python's ssl module: it offers
STARTTLS, refuses AUTH and MAIL before it (530), and takes AUTH PLAIN with the given user."""
import argparse
import base64
import json
import socket
import socketserver
import ssl
import sys
import threading


def keep(out, record):
    with open(out, "a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")


def stdlib(args):
    import warnings

    warnings.simplefilter("ignore")
    import asyncore
    import smtpd

    class Keep(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            keep(args.out, {"from": mailfrom, "to": rcpttos, "data": data.decode("utf-8", "replace") if isinstance(data, bytes) else data})

    server = Keep(("127.0.0.1", 0), None, decode_data=False)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()


def submission(args):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls[0], args.tls[1])

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            buffer = b""
            tls = authed = False
            sender, recipients = None, []

            def send(text):
                sock.sendall(text.encode() + b"\r\n")

            def line():
                nonlocal buffer
                while b"\r\n" not in buffer:
                    chunk = sock.recv(4096)
                    if not chunk:
                        raise EOFError
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n", 1)
                return head.decode("utf-8", "replace")

            send("220 localhost ESMTP test peer")
            try:
                while True:
                    command = line()
                    verb = command.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        send("250-localhost" if tls else "250-localhost\r\n250-STARTTLS")
                        send("250 AUTH PLAIN")
                    elif verb == "STARTTLS" and not tls:
                        send("220 go ahead")
                        sock = context.wrap_socket(sock, server_side=True)
                        buffer, tls = b"", True
                    elif verb == "AUTH":
                        if not tls:
                            send("530 must issue STARTTLS first")
                            continue
                        parts = base64.b64decode(command.split(" ")[2]).split(b"\0")
                        if parts[1:] == [args.user.encode(), args.password.encode()]:
                            authed = True
                            send("235 ok")
                        else:
                            send("535 authentication failed")
                    elif verb == "MAIL":
                        if not authed:
                            send("530 authentication required")
                            continue
                        sender, recipients = command[10:].strip("<>"), []
                        send("250 ok")
                    elif verb == "RCPT":
                        recipients.append(command[8:].strip("<>"))
                        send("250 ok")
                    elif verb == "DATA":
                        send("354 end with .")
                        lines = []
                        while True:
                            text = line()
                            if text == ".":
                                break
                            lines.append(text[1:] if text.startswith("..") else text)
                        keep(args.out, {"from": sender, "to": recipients, "data": "\r\n".join(lines), "tls": tls, "user": args.user})
                        send("250 queued")
                    elif verb == "QUIT":
                        send("221 bye")
                        return
                    else:
                        send("502 not implemented")
            except (EOFError, ConnectionError, ssl.SSLError):
                return

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--stdlib", action="store_true")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--user", default="dojo")
    parser.add_argument("--password", default="secret")
    args = parser.parse_args()
    if args.stdlib:
        stdlib(args)
    else:
        submission(args)


if __name__ == "__main__":
    sys.exit(main())
