#!/usr/bin/env python3
"""Judges one drill's requests (load.py's lines): prints one line of figures and exits 1 if any
rule is broken. Rules: every failure is a 503 problem answered within --max-failure-seconds;
nothing hangs or gets another error; every request that starts --recover-within seconds after
the database is back succeeds; every 201 is stored with its job (ids checked by --stored, a
file of the ids found in the database)."""
import argparse, json, sys

p = argparse.ArgumentParser()
p.add_argument("--name", required=True)
p.add_argument("--requests", required=True)
p.add_argument("--stored", required=True, help="ids of the 201s found in the database with their job, one per line")
p.add_argument("--back-at", type=float, required=True, help="wall-clock time the database answered again")
p.add_argument("--max-failure-seconds", type=float, required=True)
p.add_argument("--recover-within", type=float, default=5)
p.add_argument("--extra", default="")
p.add_argument("--back-label", default="the database came back", help="what happened at --back-at")
p.add_argument("--connection-errors-from", type=float, default=None, help="while the API is down (kill drill)")
p.add_argument("--connection-errors-until", type=float, default=None)
a = p.parse_args()

recs = [json.loads(l) for l in open(a.requests) if l.strip()]
stored = {l.strip() for l in open(a.stored) if l.strip()}
ok = [r for r in recs if 200 <= r["status"] < 300]
created = [r["id"] for r in recs if r["kind"] == "intake" and r["status"] == 201]
unavailable = [r for r in recs if r["status"] == 503 and r["code"] in ("database_unavailable", "migrations_pending")]
def api_down(r):
    # A request in flight when the API died, or sent while it was down.
    if a.connection_errors_from is None or r["status"] != 0 or r["code"] != "connection":
        return False
    return a.connection_errors_from - 2 <= r["at"] <= a.connection_errors_until
dropped = [r for r in recs if api_down(r)]
other = [r for r in recs if r not in ok and r not in unavailable and r not in dropped]
slow = [r for r in unavailable if r["seconds"] > a.max_failure_seconds]
late = [r for r in recs if r["at"] >= a.back_at + a.recover_within and not (200 <= r["status"] < 300) and r not in dropped]
after = [r for r in ok if r["at"] >= a.back_at]
recovered = (min(r["at"] for r in after) - a.back_at) if after else float("inf")
lost = [i for i in created if i not in stored]
problems = []
if other: problems.append(f"{len(other)} answers neither 2xx nor 503 (first: {other[0]})")
if slow: problems.append(f"{len(slow)} 503s slower than {a.max_failure_seconds} s (slowest {max(r['seconds'] for r in slow)} s)")
if late: problems.append(f"{len(late)} failures more than {a.recover_within} s after the database was back (first: {late[0]})")
if lost: problems.append(f"{len(lost)} acknowledged reports missing from the database (first: {lost[0]})")
if not created: problems.append("no report was accepted at all")
if recovered > a.recover_within: problems.append(f"no success within {a.recover_within} s of the database")
worst = max([r["seconds"] for r in recs] or [0])
print(f"drill {a.name}: {len(recs)} requests, {len(created)} reports accepted and all "
      f"{'stored with their jobs' if not lost else 'NOT stored'}, {len(unavailable)} x 503 (slowest {max([r['seconds'] for r in unavailable] or [0]):.2f} s), "
      f"{len(dropped)} connections dropped while the API was down, {len(other)} other failures, slowest answer {worst:.2f} s, first success {recovered:.2f} s after {a.back_label}{a.extra}"
      + ("" if not problems else " -- FAILED: " + "; ".join(problems)))
sys.exit(1 if problems else 0)
