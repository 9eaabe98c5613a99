#!/usr/bin/env python3
"""A webhook receiver for the drills: answers 204 and appends one JSON line per delivery to
--out: {"webhook_id", "case_id", "at"} ("at": wall-clock time it arrived). Loopback only; stops
when its parent kills it.

For the storm drill it can also fail on purpose: --mode 500 answers 500 to every call (nothing
written to --out), --mode hang holds every call for --hang-seconds (longer than the
destination's timeout) before answering 500. `POST /_mode` with the body ok, 500 or hang
switches the mode of calls that arrive afterwards."""
import argparse, json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "500", "hang")
p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--out", required=True)
p.add_argument("--mode", choices=MODES, default="ok")
p.add_argument("--hang-seconds", type=float, default=5)
a = p.parse_args()
lock = threading.Lock()
out = open(a.out, "a", buffering=1)
mode = a.mode


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global mode
        arrived = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_mode":
            wanted = body.decode().strip()
            ok = wanted in MODES
            if ok:
                mode = wanted
            self.send_response(204 if ok else 400)
            self.end_headers()
            return
        current = mode
        if current != "ok":
            if current == "hang":
                time.sleep(a.hang_seconds)  # the sender has given up by now
            try:
                self.send_response(500)
                self.end_headers()
            except OSError:
                pass  # the sender closed the connection
            return
        try:
            case = (json.loads(body).get("case") or {}).get("id")
        except ValueError:
            case = None
        with lock:
            out.write(json.dumps({"webhook_id": self.headers.get("webhook-id"), "case_id": case, "at": arrived}) + "\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()
