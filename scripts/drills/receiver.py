#!/usr/bin/env python3
"""A webhook receiver for the drills: answers 204 and appends one JSON line per delivery to
--out: {"webhook_id", "case_id"}. Loopback only; stops when its parent kills it."""
import argparse, json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--out", required=True)
a = p.parse_args()
lock = threading.Lock()
out = open(a.out, "a", buffering=1)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            case = (json.loads(body).get("case") or {}).get("id")
        except ValueError:
            case = None
        with lock:
            out.write(json.dumps({"webhook_id": self.headers.get("webhook-id"), "case_id": case}) + "\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()
