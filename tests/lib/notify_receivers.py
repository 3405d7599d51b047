#!/usr/bin/python3
"""notify_receivers.py - real receivers for sluice's notification tests.

  smtp DIR PORTFILE [PORT]      an SMTP server (aiosmtpd) on 127.0.0.1 that
                                takes AUTH PLAIN/LOGIN for $SMTP_USER /
                                $SMTP_PASS and writes each mail to
                                DIR/mail-N.eml (envelope first, then data);
                                with $SMTP_TLS "starttls" (STARTTLS offered
                                and required) or "implicit" (TLS from the
                                first byte), certificate $SMTP_CERT, key
                                $SMTP_KEY; the header X-TLS says which
  hook DIR PORTFILE SECRET_ENV  an HTTP server on 127.0.0.1 that checks
                                X-Sluice-Signature (HMAC-SHA256 of the body
                                with the secret in $SECRET_ENV) and writes
                                each request to DIR/hook-N.json, with
                                "OK" or "BAD" in DIR/hook-N.sig

PORT 0 (or none) picks a free port; the port is written to PORTFILE once
the server listens.  Runs until killed.
"""
import glob
import hashlib
import hmac
import http.server
import os
import socket
import sys
import time


def next_name(d, prefix, ext):
    return os.path.join(d, "%s-%d.%s" % (prefix, len(glob.glob(os.path.join(d, prefix + "-*." + ext))) + 1, ext))


def write_port(portfile, port):
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, portfile)


def smtp(d, portfile, port):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    user, password = os.environ.get("SMTP_USER"), os.environ.get("SMTP_PASS")
    tls = os.environ.get("SMTP_TLS", "")  # implicit: nothing arrives in clear

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              auth_data.login.decode() == user and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with open(next_name(d, "mail", "eml"), "wb") as f:
                f.write(("X-Envelope-From: %s\nX-Envelope-To: %s\nX-Authenticated: %s\n"
                         "X-TLS: %s\n" % (
                             envelope.mail_from, ",".join(envelope.rcpt_tos),
                             "yes" if session.authenticated else "no",
                             "yes" if session.ssl or tls == "implicit" else "no")).encode())
                f.write(envelope.original_content or envelope.content)
            return "250 OK"

    if not port:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    kw = {}
    if tls:
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(os.environ["SMTP_CERT"], os.environ["SMTP_KEY"])
        kw = {"ssl_context": ctx} if tls == "implicit" else \
            {"tls_context": ctx, "require_starttls": True}
    c = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                   auth_require_tls=False, auth_required=bool(user), **kw)
    c.start()
    write_port(portfile, port)
    while True:
        time.sleep(3600)


def hook(d, portfile, secret_env):
    secret = os.environ[secret_env].encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            got = self.headers.get("X-Sluice-Signature", "")
            name = next_name(d, "hook", "json")
            with open(name[:-5] + ".sig", "w") as f:
                f.write("OK\n" if hmac.compare_digest(want, got) else "BAD " + got + "\n")
            with open(name, "wb") as f:
                f.write(body)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    write_port(portfile, srv.server_address[1])
    srv.serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "smtp":
        smtp(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    else:
        hook(sys.argv[2], sys.argv[3], sys.argv[4])
