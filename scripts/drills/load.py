#!/usr/bin/env python3
"""Load for the fault drills: report intake, public reads and pull receives at once, for a fixed
time, each request with a client timeout. Writes one JSON line per request to --out:
{"kind", "start", "at", "seconds", "status", "code", "id"} ("start" relative to the start, "at"
wall-clock; status 0 and code "timeout" or "connection" when no answer came). Writers send as
fast as they are answered, or at --rate reports a second in all (paced, so two runs offer the
same load); --lat/--lon pick where the reports are, and so the council. Stdlib only."""
import argparse, http.client, json, threading, time, uuid

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--client-key", required=True)
p.add_argument("--backoffice-key", required=True)
p.add_argument("--seconds", type=float, default=20)
p.add_argument("--timeout", type=float, default=15)
p.add_argument("--writers", type=int, default=8)
p.add_argument("--readers", type=int, default=2)
p.add_argument("--receivers", type=int, default=2)
p.add_argument("--rate", type=float, default=0, help="intake requests a second across all writers; 0: no pacing")
p.add_argument("--lat", type=float, default=52.3)
p.add_argument("--lon", type=float, default=-1.9, help="-1.9: Barchester; -1.3: Plumstead (seed-demo)")
p.add_argument("--out", required=True)
a = p.parse_args()

REPORT = {"category": "fly_tipping", "location": {"lat": a.lat, "lon": a.lon}, "description": "Drill: sofa in the close.",
          "attributes": {"waste_type": "household", "size": "car_boot"}}
lock = threading.Lock()
records = []
t0 = time.monotonic()
stop_at = t0 + a.seconds


def call(kind, method, path, body=None, headers=None):
    start = time.monotonic()
    rec = {"kind": kind, "start": round(start - t0, 3), "at": time.time(), "status": 0, "code": None, "id": None}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=a.timeout)
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        rec["status"] = resp.status
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {}
        if isinstance(parsed, dict):
            rec["code"] = parsed.get("code")
            if kind == "intake" and resp.status == 201:
                rec["id"] = parsed.get("id")
        conn.close()
    except (TimeoutError, OSError) as error:
        rec["code"] = "timeout" if "timed out" in str(error) else "connection"
    rec["seconds"] = round(time.monotonic() - start, 3)
    with lock:
        records.append(rec)
    return rec


def loop(kind, index):
    sent = 0
    while time.monotonic() < stop_at:
        if kind == "intake" and a.rate > 0:
            # Writer `index` takes every writers-th slot of a fixed timetable; a late one goes at once.
            slot = t0 + (index + sent * a.writers) / a.rate
            if slot >= stop_at:
                break
            time.sleep(max(0, slot - time.monotonic()))
            sent += 1
        if kind == "intake":
            rec = call("intake", "POST", "/v1/reports", REPORT,
                       {"Authorization": "Bearer " + a.client_key, "Content-Type": "application/json",
                        "Idempotency-Key": str(uuid.uuid4())})
        elif kind == "read":
            rec = call("read", "GET", "/v1/reports?limit=20")
        else:
            rec = call("receive", "POST", "/v1/backoffice/queues/cases/receive", {"max_messages": 10},
                       {"Authorization": "Bearer " + a.backoffice_key, "Content-Type": "application/json"})
        if (rec["status"] == 0 or rec["status"] >= 500) and not (kind == "intake" and a.rate > 0):
            time.sleep(0.05)  # a client backing off a little, as real ones do


threads = [threading.Thread(target=loop, args=(k, i)) for k, n in
           (("intake", a.writers), ("read", a.readers), ("receive", a.receivers)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
with open(a.out, "w") as f:
    for r in sorted(records, key=lambda r: r["start"]):
        f.write(json.dumps(r) + "\n")
