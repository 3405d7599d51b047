#!/usr/bin/python3
"""http_files.py - a real web server of files for sluice's download tests.

  http_files.py DIR PORTFILE LOG

Serves DIR's files on 127.0.0.1 (a free port, written to PORTFILE once it
listens) with an ETag (a digest of the content) and Last-Modified (the
file's time), and answers as a server of the kind the test asks for, set by
GET /_control?KEY=VALUE&...:

  ranges=1|0          answer Range with 206 (checking If-Range), or ignore
                      it and send the whole file with 200 (default 1)
  drop=PATH:N:BYTES   the next N GETs of PATH send BYTES of the body (after
                      the headers, which announce all of it) and close the
                      connection
  pace=PATH:N:MS      the next N GETs of PATH send the body in 16 KiB pieces,
                      MS milliseconds apart (two downloads at once overlap)
  throttle=PATH:N:STATUS:SECONDS
                      the next N GETs of PATH get STATUS (429 or 503) with
                      Retry-After: SECONDS ("-" for none)
  reset=1             forget drops, paces and throttles, ranges back to 1

If-None-Match (the ETag) and If-Modified-Since (not older than the file)
get 304.  Every request is appended to LOG as one JSON object: method, path,
the Range, If-Range, If-None-Match and If-Modified-Since headers, status,
body bytes sent, and the time.  Runs until killed.
"""
import email.utils
import hashlib
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

lock = threading.Lock()
state = {"ranges": True, "drop": {}, "pace": {}, "throttle": {}}


def write_port(portfile, port):
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, portfile)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self, status, sent):
        entry = {"method": self.command, "path": self.path, "status": status, "sent": sent,
                 "at": time.time()}
        for h in ("Range", "If-Range", "If-None-Match", "If-Modified-Since"):
            if self.headers.get(h) is not None:
                entry[h] = self.headers.get(h)
        with lock, open(self.server.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def reply(self, status, headers=(), body=b"", send=None, pace=None):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if not any(k == "Content-Length" for k, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        data = body if send is None else body[:send]
        if self.command != "HEAD" and pace:
            for at in range(0, len(data), 16384):
                if at:
                    time.sleep(pace / 1000)
                self.wfile.write(data[at:at + 16384])
                self.wfile.flush()
        elif self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()
        self.record(status, len(data))
        if send is not None:
            self.close_connection = True
            self.connection.shutdown(2)

    def control(self, query):
        q = urllib.parse.parse_qs(query)
        with lock:
            if "reset" in q:
                state.update(ranges=True, drop={}, pace={}, throttle={})
            if "ranges" in q:
                state["ranges"] = q["ranges"][0] == "1"
            for d in q.get("drop", []):
                path, n, nbytes = d.rsplit(":", 2)
                state["drop"][path] = [int(n), int(nbytes)]
            for d in q.get("pace", []):
                path, n, ms = d.rsplit(":", 2)
                state["pace"][path] = [int(n), int(ms)]
            for t in q.get("throttle", []):
                path, n, status, secs = t.rsplit(":", 3)
                state["throttle"][path] = [int(n), int(status), secs]
        self.reply(200, body=b"ok\n")

    def take(self, kind, path):
        with lock:
            rule = state[kind].get(path)
            if not rule or rule[0] <= 0:
                return None
            rule[0] -= 1
            return rule[1:]

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_control":
            return self.control(url.query)
        throttle = self.take("throttle", url.path)
        if throttle:
            status, secs = throttle
            headers = [] if secs == "-" else [("Retry-After", secs)]
            return self.reply(status, headers, b"slow down\n")
        file = os.path.join(self.server.root, urllib.parse.unquote(url.path).lstrip("/"))
        if ".." in url.path or not os.path.isfile(file):
            return self.reply(404, body=b"not found\n")
        with open(file, "rb") as f:
            body = f.read()
        mtime = int(os.stat(file).st_mtime)
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
        modified = email.utils.formatdate(mtime, usegmt=True)
        headers = [("ETag", etag), ("Last-Modified", modified)]
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            if inm == etag:
                return self.reply(304, headers)
        elif ims is not None:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
            if mtime <= since:
                return self.reply(304, headers)
        drop = self.take("drop", url.path)
        send = drop[0] if drop else None
        pace = self.take("pace", url.path)
        pace = pace[0] if pace else None
        rng = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        with lock:
            ranges = state["ranges"]
        if ranges:
            headers.append(("Accept-Ranges", "bytes"))
        if rng and ranges and (if_range is None or if_range in (etag, modified)):
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(body):
                return self.reply(416, [("Content-Range", "bytes */%d" % len(body))])
            part = body[start:]
            headers += [("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body))),
                        ("Content-Length", str(len(part)))]
            return self.reply(206, headers, part, send, pace)
        headers.append(("Content-Length", str(len(body))))
        return self.reply(200, headers, body, send, pace)


def main():
    root, portfile, log = sys.argv[1:4]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.root, server.log = root, log
    server.daemon_threads = True
    write_port(portfile, server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
