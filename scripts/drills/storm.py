#!/usr/bin/env python3
"""Judges the storm drill: one council's webhook healthy, the other's failing (timeouts, then
500s). Prints one line of figures and exits 1 if a rule is broken:
- the healthy destination's delivery rate and p99 latency (201 at the client -> arrival at the
  receiver) in each storm phase stay within --tolerance (20 %) of the calm run; latency may also
  be --latency-floor seconds worse, whichever is larger, so that 30 ms against 40 ms is not
  failed on noise;
- the failing destination's retries follow the documented schedule (RetrySchedule.standard,
  README "Dispatch"): never before the delay after the previous attempt ended, nor much after;
  each waiting job's next attempt is scheduled by it;
- no job of the failing destination is dead while its attempts are below max_attempts, and every
  one of its cases was tried;
- every intake request is a 201, and the failing council's calm cases were all delivered.
Stdlib only; the database rows come as CSV files (COPY ... TO STDOUT WITH CSV HEADER)."""
import argparse, csv, json, math, sys

# RetrySchedule.standard (Sources/IntakeCore/Dispatch/RetrySchedule.swift): seconds after the
# 1st, 2nd, ... failed attempt, each ±20 %; a timeout, 429, 502 or 504 waits at least 60 s.
DELAYS = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400]
JITTER = 0.2
SLOW_DOWN = 60
CLOCK = 0.05  # rounding of the recorded times (duration in whole ms)

p = argparse.ArgumentParser()
p.add_argument("--phases", required=True, help="comma-separated phase names, the calm one first")
p.add_argument("--healthy", nargs="+", required=True, help="PHASE=FILE: load.py's lines for the healthy council")
p.add_argument("--failing", nargs="+", required=True, help="PHASE=FILE: load.py's lines for the failing council")
p.add_argument("--healthy-deliveries", required=True)
p.add_argument("--failing-deliveries", required=True)
p.add_argument("--attempts", required=True, help="CSV: the failing destination's dispatch_attempts")
p.add_argument("--jobs", required=True, help="CSV: the failing destination's dispatch_jobs")
p.add_argument("--failing-timeout", type=float, required=True, help="the failing destination's timeout_seconds")
p.add_argument("--stopped-at", type=float, required=True, help="wall-clock time the worker was told to stop")
p.add_argument("--tolerance", type=float, default=0.2)
p.add_argument("--latency-floor", type=float, default=0.1)
p.add_argument("--extra", default="")
a = p.parse_args()

phases = a.phases.split(",")
calm = phases[0]


def requests(pairs):
    out = {}
    for pair in pairs:
        name, path = pair.split("=", 1)
        out[name] = [json.loads(l) for l in open(path) if l.strip()]
    return out


def first_arrivals(path):
    seen = {}
    for line in open(path):
        d = json.loads(line)
        if d.get("case_id") and d["case_id"] not in seen:
            seen[d["case_id"]] = d["at"]
    return seen


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


healthy, failing = requests(a.healthy), requests(a.failing)
arrived = first_arrivals(a.healthy_deliveries)
problems = []

# Intake itself must not suffer.
refused = [r for recs in list(healthy.values()) + list(failing.values()) for r in recs if r["status"] != 201]
if refused:
    problems.append(f"{len(refused)} intake requests not answered 201 (first: {refused[0]})")

# The healthy council, phase by phase.
figures = {}
for phase in phases:
    recs = [r for r in healthy[phase] if r["status"] == 201 and r.get("id")]
    if not recs:
        problems.append(f"no healthy-council report accepted in the {phase} phase")
        figures[phase] = (0.0, float("nan"), float("nan"), float("nan"))
        continue
    start = min(r["at"] for r in healthy[phase])
    end = max(r["at"] + r["seconds"] for r in healthy[phase])
    latencies = [arrived[r["id"]] - (r["at"] + r["seconds"]) for r in recs if r["id"] in arrived]
    in_window = sum(1 for r in recs if r["id"] in arrived and arrived[r["id"]] <= end)
    figures[phase] = (in_window / (end - start), pct(latencies, 0.5), pct(latencies, 0.99), max(latencies or [float("nan")]))
missing = [r["id"] for phase in phases for r in healthy[phase] if r["status"] == 201 and r.get("id") not in arrived]
if missing:
    problems.append(f"{len(missing)} accepted healthy-council cases never delivered (first: {missing[0]})")

calm_rate, _, calm_p99, _ = figures[calm]
allowed_p99 = calm_p99 + max(a.tolerance * calm_p99, a.latency_floor)
for phase in phases[1:]:
    rate, _, p99, _ = figures[phase]
    if not (abs(rate - calm_rate) <= a.tolerance * calm_rate):
        problems.append(f"healthy delivery rate {rate:.2f}/s in the {phase} phase, calm {calm_rate:.2f}/s (more than {a.tolerance:.0%} apart)")
    if not (p99 <= allowed_p99):
        problems.append(f"healthy p99 latency {p99:.3f} s in the {phase} phase, allowed {allowed_p99:.3f} s (calm {calm_p99:.3f} s)")

# The failing council: its calm cases reached its (then healthy) receiver.
failing_arrived = first_arrivals(a.failing_deliveries)
calm_lost = [r["id"] for r in failing[calm] if r["status"] == 201 and r.get("id") not in failing_arrived]
if calm_lost:
    problems.append(f"{len(calm_lost)} failing-council cases of the calm run never delivered")

# Its retries.
def bounds(attempt, slow):
    base = DELAYS[min(max(attempt, 1), len(DELAYS)) - 1]
    low, high = base * (1 - JITTER), base * (1 + JITTER)
    return (max(low, SLOW_DOWN), max(high, SLOW_DOWN)) if slow else (low, high)


def slow(row):
    return row["timed_out"] == "t" or row["status_code"] in ("429", "502", "504")


chains = {}
for row in csv.DictReader(open(a.attempts)):
    row["end"] = float(row["started"]) + int(row["duration_ms"]) / 1000
    chains.setdefault(row["message_id"], []).append(row)
for chain in chains.values():
    chain.sort(key=lambda r: int(r["attempt"]))
# Allowed lateness: a due retry may wait for a free slot (up to a timeout, when the failing
# destination's slots are all taken by hanging calls) and the next poll.
slack = 2 * a.failing_timeout + 1
answers = {"500": 0, "timeout": 0, "other": 0}
retries, early, late, gaps, after_final = 0, [], [], [], []
for message, chain in chains.items():
    numbers = [int(r["attempt"]) for r in chain]
    if numbers != list(range(1, len(chain) + 1)):
        gaps.append((message, numbers))
    for row in chain:
        if row["outcome"] == "delivered":
            continue
        answers["timeout" if row["timed_out"] == "t" else "500" if row["status_code"] == "500" else "other"] += 1
    for prev, row in zip(chain, chain[1:]):
        if prev["outcome"] != "retry":
            after_final.append((message, prev["attempt"], prev["outcome"]))
            continue
        retries += 1
        low, high = bounds(int(prev["attempt"]), slow(prev))
        waited = float(row["started"]) - prev["end"]
        if waited < low - CLOCK:
            early.append(f"attempt {row['attempt']} {waited:.2f} s after attempt {prev['attempt']} ended ({low:.0f} s at least)")
        elif waited > high + slack:
            late.append(f"attempt {row['attempt']} {waited:.2f} s after attempt {prev['attempt']} ended ({high:.0f} s + {slack:.0f} s at most)")

jobs = list(csv.DictReader(open(a.jobs)))
pending = [j for j in jobs if j["state"] == "pending"]
never_tried = [j for j in pending if int(j["attempts"]) == 0]
scheduled_ok, misscheduled, unrecorded = 0, [], []
for job in pending:
    if int(job["attempts"]) == 0:
        continue
    chain = chains.get(job["message_id"], [])
    last = next((r for r in chain if int(r["attempt"]) == int(job["attempts"])), None)
    if last is None or last["outcome"] != "retry":
        unrecorded.append(job["message_id"])
        continue
    low, high = bounds(int(job["attempts"]), slow(last))
    wait = float(job["run_at"]) - last["end"]
    if low - CLOCK <= wait <= high + a.failing_timeout + 1:
        scheduled_ok += 1
    else:
        misscheduled.append(f"attempt {int(job['attempts']) + 1} set {wait:.1f} s after attempt {job['attempts']} ({low:.0f}-{high:.0f} s)")
# A retry that came due while the worker ran must have been made (a free lane, then a poll).
overdue = [j for j in pending if int(j["attempts"]) > 0 and float(j["run_at"]) < a.stopped_at - (a.failing_timeout + 1)]
dead = [j for j in jobs if j["state"] == "dead"]
dead_early = [j for j in dead if int(j["attempts"]) < int(j["max_attempts"])]
done_in_storm = [j for j in jobs if j["state"] == "done" and int(j["attempts"]) > 1]
max_attempts = jobs[0]["max_attempts"] if jobs else "?"

if early: problems.append(f"{len(early)} retries earlier than the schedule (first: {early[0]})")
if late: problems.append(f"{len(late)} retries later than the schedule (first: {late[0]})")
if gaps: problems.append(f"{len(gaps)} jobs with attempt numbers out of sequence (first: {gaps[0]})")
if after_final: problems.append(f"{len(after_final)} attempts after a final outcome (first: {after_final[0]})")
if misscheduled: problems.append(f"{len(misscheduled)} waiting jobs scheduled off the schedule (first: {misscheduled[0]})")
if overdue: problems.append(f"{len(overdue)} retries due but not made before the worker stopped (first: {a.stopped_at - float(overdue[0]['run_at']):.1f} s overdue)")
if unrecorded: problems.append(f"{len(unrecorded)} waiting jobs whose last attempt is not recorded as a retry")
if never_tried: problems.append(f"{len(never_tried)} failing-council jobs never tried")
if dead_early: problems.append(f"{len(dead_early)} jobs dead before max_attempts (first: {dead_early[0]['attempts']} of {dead_early[0]['max_attempts']})")
if done_in_storm: problems.append(f"{len(done_in_storm)} failing-council jobs delivered after a failure (the receiver never accepts in the storm)")
if not retries: problems.append("no retry was observed")
if not answers["500"] or not answers["timeout"]: problems.append(f"the storm did not produce both 500s and timeouts ({answers})")


def phase_text(phase):
    rate, p50, p99, worst = figures[phase]
    return f"{phase} {rate:.2f}/s p50 {p50 * 1000:.0f} ms p99 {p99 * 1000:.0f} ms max {worst * 1000:.0f} ms"


print(f"drill storm: healthy webhook {'; '.join(phase_text(ph) for ph in phases)} "
      f"(rule: rate within {a.tolerance:.0%}, p99 within {a.tolerance:.0%} or {a.latency_floor * 1000:.0f} ms of calm, whichever is larger: "
      f"at most {allowed_p99 * 1000:.0f} ms); failing webhook {answers['500']} x 500 and {answers['timeout']} timeouts "
      f"({answers['other']} other), {retries} retries of {len(chains)} cases checked against the schedule "
      f"({len(early)} early, {len(late)} late), {scheduled_ok} of {len(pending)} waiting jobs scheduled by it ({len(overdue)} overdue), "
      f"{len(dead)} dead ({len(dead_early)} before max_attempts {max_attempts}){a.extra}"
      + ("" if not problems else " -- FAILED: " + "; ".join(problems)))
sys.exit(1 if problems else 0)
