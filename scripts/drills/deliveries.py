#!/usr/bin/env python3
"""Judges a drill's deliveries (kill, outage): every accepted report's case reached the webhook, and a
case delivered more than once kept its webhook-id. Prints a fragment of figures; exit 1 if not."""
import json, sys

requests, deliveries = sys.argv[1], sys.argv[2]
accepted = {r["id"] for r in map(json.loads, open(requests)) if r.get("kind") == "intake" and r.get("status") == 201}
ids = {}
count = 0
for line in open(deliveries):
    d = json.loads(line)
    count += 1
    ids.setdefault(d["case_id"], set()).add(d["webhook_id"])
missing = [c for c in accepted if c not in ids]
changed = [c for c, w in ids.items() if len(w) > 1]
again = count - len(ids)
print(f", {len(accepted)} cases delivered in {count} posts ({again} again, all with their first webhook-id)"
      if not missing and not changed else
      f" -- FAILED: {len(missing)} accepted cases never delivered, {len(changed)} delivered under two webhook-ids")
sys.exit(1 if missing or changed else 0)
