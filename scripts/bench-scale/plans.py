#!/usr/bin/env python3
"""Prints the plans auto_explain logged (JSON format) in a slice of the server's log, one
indented line per plan node: what it read, through which index, with what condition, how many
rows it gave and how long it took. Only statements that read reports, their timeline or
payments are shown (not the service's key and council lookups around them).

    plans.py LOGFILE OFFSET
"""
import json
import re
import sys

SHOWN = ("reports", "report_events", "payment_intents")
CONDITIONS = ("Index Cond", "Recheck Cond", "Filter", "Join Filter", "Hash Cond", "One-Time Filter")


def node_line(node):
    words = [node["Node Type"]]
    if "Scan Direction" in node and node["Scan Direction"] == "Backward":
        words.insert(0, "Backward")
    if "Index Name" in node:
        words.append("using " + node["Index Name"])
    if "Relation Name" in node:
        words.append("on " + node["Relation Name"])
    if "CTE Name" in node:
        words.append("on " + node["CTE Name"])
    if "Subplan Name" in node:
        words.insert(0, node["Subplan Name"] + ":")
    if node.get("Actual Loops", 0) == 0:
        words.append("(never executed)")
    else:
        words.append("(rows=%s loops=%s" % (node.get("Actual Rows"), node.get("Actual Loops")))
        if "Actual Total Time" in node:
            words[-1] += " time=%.3f ms" % node["Actual Total Time"]
        if node.get("Heap Fetches") is not None:
            words[-1] += " heap fetches=%s" % node["Heap Fetches"]
        words[-1] += ")"
    return " ".join(words)


def show(node, depth):
    print("    " + "  " * depth + ("-> " if depth else "") + node_line(node))
    for key in CONDITIONS:
        if key in node:
            text = re.sub(r"'[0-9A-F]{40,}'::geometry", "'<box>'::geometry", node[key])
            print("    " + "  " * depth + "     " + key + ": " + text[:160])
    if "Rows Removed by Filter" in node and node["Rows Removed by Filter"]:
        print("    " + "  " * depth + "     Rows Removed by Filter: %s" % node["Rows Removed by Filter"])
    for child in node.get("Plans", []):
        show(child, depth + 1)


def main():
    path, offset = sys.argv[1], int(sys.argv[2])
    with open(path, "rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    # Each entry: "... LOG:  duration: 1.234 ms  plan:\n{ ...json... }" up to the next log line.
    # The server writes the JSON with each line indented by a tab.
    for match in re.finditer(r"duration: ([0-9.]+) ms\s+plan:\s*\n(\t\{.*?\n\t\})", text, re.S):
        try:
            entry = json.loads(match.group(2).replace("\n\t", "\n"))
        except json.JSONDecodeError:
            continue
        query = entry.get("Query Text", "")
        if not any(re.search(r"\b" + name + r"\b", query) for name in SHOWN):
            continue
        print("  statement of %s ms:" % match.group(1))
        show(entry["Plan"], 0)


if __name__ == "__main__":
    main()
